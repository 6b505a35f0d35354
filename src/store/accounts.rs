//! Courts and the accounts on both sides of a link.
use async_trait::async_trait;

use super::{LinkRecord, SeenFailures, StoreError};
use crate::domain::{
    CourtEnvironment, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix, PacerUsername,
};

/// A court to add.
#[derive(Debug, Clone)]
pub struct NewCourt {
    /// Its identifier.
    pub id: CourtId,
    /// Its full name.
    pub name: CourtName,
    /// The prefix of its CM/ECF logins.
    pub ecf_login_prefix: EcfLoginPrefix,
    /// Its environment label, e.g. `train`; `None` in production.
    pub environment: Option<CourtEnvironment>,
}

/// A stored court.
pub type CourtRecord = NewCourt;

/// A PACER account to add; `password_hash` is an argon2id PHC string.
#[derive(Debug, Clone)]
pub struct NewPacerAccount {
    /// The username.
    pub username: PacerUsername,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The holder's name.
    pub display_name: DisplayName,
    /// Whether the account is upgraded.
    pub upgraded: bool,
}

/// A stored PACER account.
pub type PacerAccountRecord = NewPacerAccount;

/// A CM/ECF account to add.
#[derive(Debug, Clone)]
pub struct NewEcfAccount {
    /// Its court.
    pub court_id: CourtId,
    /// Its login.
    pub login: EcfLogin,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The filer's name.
    pub display_name: DisplayName,
}

/// A stored CM/ECF account. `password_hash` is `None` once linking retired it.
#[derive(Debug, Clone)]
pub struct EcfAccountRecord {
    /// Its court.
    pub court_id: CourtId,
    /// Its login.
    pub login: EcfLogin,
    /// The argon2id PHC string, or `None` when retired.
    pub password_hash: Option<String>,
    /// The filer's name.
    pub display_name: DisplayName,
}

/// What a PACER sign-in in one court needs, read in one lookup.
#[derive(Debug, Clone)]
pub struct PacerSignIn {
    /// The account.
    pub account: PacerAccountRecord,
    /// Its second factor, if enrolled.
    pub totp: Option<super::TotpEnrollment>,
    /// Its link in the court, if linked there.
    pub link: Option<LinkRecord>,
}

/// A sign-in's read: the account if it exists, and the failed sign-ins of
/// its subject either way (an unknown name is counted too).
#[derive(Debug, Clone)]
pub struct SignInRead<T> {
    /// The account, if it exists.
    pub found: Option<T>,
    /// The subject's failed sign-ins, read with it.
    pub failures: SeenFailures,
}

impl<T> SignInRead<T> {
    /// No such account; its subject's failures as read.
    pub fn unknown(failures: SeenFailures) -> Self {
        Self {
            found: None,
            failures,
        }
    }
}

/// What a CM/ECF sign-in (VerifyEcf) needs, read in one lookup.
#[derive(Debug, Clone)]
pub struct EcfSignIn {
    /// The account.
    pub account: EcfAccountRecord,
    /// Its link, if linked.
    pub link: Option<LinkRecord>,
}

/// The account a status lookup names, from either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountKey {
    /// A CM/ECF login in the court.
    Ecf(EcfLogin),
    /// A PACER username.
    Pacer(PacerUsername),
}

/// What one status lookup found in an existing court.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    /// Whether the account exists.
    pub exists: bool,
    /// Its link in the court, if any.
    pub link: Option<LinkRecord>,
}

/// Whose stored password hash a rehash replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordOwner {
    /// A PACER account.
    Pacer(PacerUsername),
    /// A CM/ECF account in a court.
    Ecf(CourtId, EcfLogin),
}

/// Courts, PACER accounts and CM/ECF accounts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Adds a court.
    async fn create_court(&self, court: &NewCourt) -> Result<(), StoreError>;
    /// Looks a court up.
    async fn court(&self, id: &CourtId) -> Result<Option<CourtRecord>, StoreError>;

    /// Adds a PACER account.
    async fn create_pacer_account(&self, account: &NewPacerAccount) -> Result<(), StoreError>;
    /// Looks a PACER account up.
    async fn pacer_account(
        &self,
        username: &PacerUsername,
    ) -> Result<Option<PacerAccountRecord>, StoreError>;

    /// Adds a CM/ECF account to an existing court.
    async fn create_ecf_account(&self, account: &NewEcfAccount) -> Result<(), StoreError>;
    /// Looks a CM/ECF account up.
    async fn ecf_account(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<Option<EcfAccountRecord>, StoreError>;

    /// A PACER account with its second factor and its link in `court`, and
    /// the failed sign-ins of the username whether or not it exists, in one
    /// statement: what every PACER sign-in reads.
    async fn pacer_sign_in(
        &self,
        court: &CourtId,
        username: &PacerUsername,
    ) -> Result<SignInRead<PacerSignIn>, StoreError>;

    /// A CM/ECF account with its link, and the failed sign-ins of the login
    /// whether or not it exists, in one statement: what VerifyEcf reads.
    async fn ecf_sign_in(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<SignInRead<EcfSignIn>, StoreError>;

    /// In one statement: `None` when the court does not exist, otherwise
    /// whether the account exists and its link in the court. The hot path of
    /// `GetLinkStatus`, so one round trip instead of three.
    async fn account_status(
        &self,
        court: &CourtId,
        account: &AccountKey,
    ) -> Result<Option<AccountStatus>, StoreError>;

    /// Replaces a stored password hash with a stronger one of the same
    /// password, only if `old` is still stored (a reset or retirement
    /// meanwhile wins). Leaves `password_set_at` alone: the password is the
    /// same, so proofs made with it stay valid.
    async fn replace_password_hash(
        &self,
        owner: &PasswordOwner,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError>;
}
