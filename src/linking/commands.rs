//! Parsed requests and the answers the linking service gives. The gRPC layer
//! builds these from proto messages; nothing here knows about transport.
use chrono::{DateTime, Utc};

use crate::domain::{
    ClientCode, CourtEnvironment, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix,
    FlowToken, NewPassword, OtpCode, PacerUsername, Password, UnlinkReason,
};
use crate::store::{EcfAccountRecord, PacerAccountRecord};

/// Step 2 input.
#[derive(Debug)]
pub struct AuthenticatePacer {
    /// The court to link in.
    pub court_id: CourtId,
    /// The PACER username.
    pub username: PacerUsername,
    /// The PACER password.
    pub password: Password,
    /// The optional client code.
    pub client_code: ClientCode,
    /// The one-time code, for accounts with a second factor.
    pub otp_code: Option<OtpCode>,
}

/// Step 3 input.
#[derive(Debug)]
pub struct VerifyEcf {
    /// The flow.
    pub flow_token: FlowToken,
    /// The legacy CM/ECF login.
    pub ecf_login: EcfLogin,
    /// The legacy CM/ECF password.
    pub ecf_password: Password,
}

/// A PACER account as the filer may see it (no hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacerAccountView {
    /// The username.
    pub username: PacerUsername,
    /// The holder's name.
    pub display_name: DisplayName,
}

impl From<PacerAccountRecord> for PacerAccountView {
    fn from(record: PacerAccountRecord) -> Self {
        Self {
            username: record.username,
            display_name: record.display_name,
        }
    }
}

/// A CM/ECF account as the filer may see it (no hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcfAccountView {
    /// Its court.
    pub court_id: CourtId,
    /// Its login.
    pub login: EcfLogin,
    /// The filer's name.
    pub display_name: DisplayName,
}

impl From<EcfAccountRecord> for EcfAccountView {
    fn from(record: EcfAccountRecord) -> Self {
        Self {
            court_id: record.court_id,
            login: record.login,
            display_name: record.display_name,
        }
    }
}

/// Step 2 output.
#[derive(Debug)]
pub struct StartedFlow {
    /// The bearer token for the next steps.
    pub token: FlowToken,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub pacer_account: PacerAccountView,
}

/// Step 4 output.
#[derive(Debug)]
pub struct Preview {
    /// The PACER side.
    pub pacer_account: PacerAccountView,
    /// The CM/ECF side.
    pub ecf_account: EcfAccountView,
    /// Whether the names agree.
    pub names_match: bool,
    /// What to tell the filer.
    pub notice: String,
}

/// Admin: a court to create.
#[derive(Debug)]
pub struct CreateCourt {
    /// Its identifier.
    pub court_id: CourtId,
    /// Its name.
    pub name: CourtName,
    /// Its CM/ECF login prefix.
    pub ecf_login_prefix: EcfLoginPrefix,
    /// Its environment label, if not production.
    pub environment: Option<CourtEnvironment>,
}

/// Admin: a PACER account to create.
#[derive(Debug)]
pub struct CreatePacerAccount {
    /// The username.
    pub username: PacerUsername,
    /// The password to hash.
    pub password: NewPassword,
    /// The holder's name.
    pub display_name: DisplayName,
    /// Whether it is upgraded.
    pub upgraded: bool,
}

/// Admin: a CM/ECF account to create.
#[derive(Debug)]
pub struct CreateEcfAccount {
    /// Its court.
    pub court_id: CourtId,
    /// Its login.
    pub login: EcfLogin,
    /// The password to hash.
    pub password: NewPassword,
    /// The filer's name.
    pub display_name: DisplayName,
}

/// The account a status lookup is about.
#[derive(Debug, Clone)]
pub enum StatusSubject {
    /// A CM/ECF login in the court.
    Ecf(EcfLogin),
    /// A PACER username's link in the court.
    Pacer(PacerUsername),
}

/// One status lookup.
#[derive(Debug, Clone)]
pub struct StatusQuery {
    /// The court.
    pub court_id: CourtId,
    /// The account.
    pub subject: StatusSubject,
}

/// Whether an account is linked, and to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatusView {
    /// The court.
    pub court_id: CourtId,
    /// The CM/ECF side, if known.
    pub ecf_login: Option<EcfLogin>,
    /// The PACER side, if known.
    pub pacer_username: Option<PacerUsername>,
    /// When linked, if linked.
    pub linked_at: Option<DateTime<Utc>>,
}

/// A CM/ECF sign-in with PACER credentials.
#[derive(Debug)]
pub struct AuthenticateFiler {
    /// The court.
    pub court_id: CourtId,
    /// The PACER username.
    pub username: PacerUsername,
    /// The PACER password.
    pub password: Password,
    /// The one-time code, for accounts with a second factor.
    pub otp_code: Option<OtpCode>,
}

/// Who signed in to CM/ECF.
#[derive(Debug)]
pub struct FilerIdentity {
    /// The linked filer account.
    pub ecf_account: EcfAccountView,
    /// The PACER account that proved itself.
    pub pacer_username: PacerUsername,
}

/// Admin: a link to remove.
#[derive(Debug)]
pub struct Unlink {
    /// The court.
    pub court_id: CourtId,
    /// The linked CM/ECF login.
    pub ecf_login: EcfLogin,
    /// Why.
    pub reason: UnlinkReason,
}

/// A removed link.
#[derive(Debug)]
pub struct Unlinked {
    /// The link as it stood.
    pub link: crate::store::LinkRecord,
    /// The `UNLINKED` event's sequence.
    pub sequence: i64,
    /// When.
    pub unlinked_at: DateTime<Utc>,
}

/// Admin: a new password for an unlinked CM/ECF account.
#[derive(Debug)]
pub struct ResetEcfPassword {
    /// The court.
    pub court_id: CourtId,
    /// The CM/ECF login.
    pub ecf_login: EcfLogin,
    /// The new password.
    pub new_password: NewPassword,
}
