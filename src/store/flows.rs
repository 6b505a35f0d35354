//! Link flows, the links they make, and the changes that undo them.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{SignInSubject, StoreError};
use crate::domain::{ClientCode, CourtId, DisplayName, EcfLogin, FlowTokenHash, PacerUsername};

/// A link in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// Its court.
    pub court_id: CourtId,
    /// The CM/ECF side.
    pub ecf_login: EcfLogin,
    /// The PACER side.
    pub pacer_username: PacerUsername,
    /// When it was confirmed, to the microsecond.
    pub linked_at: DateTime<Utc>,
}

/// A flow to store at the PACER-authenticated stage.
#[derive(Debug, Clone)]
pub struct NewFlow {
    /// Its id.
    pub id: Uuid,
    /// SHA-256 of its token.
    pub token_hash: FlowTokenHash,
    /// The court it links in.
    pub court_id: CourtId,
    /// The PACER account that started it.
    pub pacer_username: PacerUsername,
    /// The client code given at sign-in, if any.
    pub client_code: ClientCode,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When its token stops working.
    pub expires_at: DateTime<Utc>,
}

/// Where a stored flow stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowStage {
    /// PACER credentials proven.
    PacerAuthenticated,
    /// CM/ECF credentials proven too, for this login.
    EcfVerified(EcfLogin),
    /// The link was made.
    Confirmed,
}

/// A stored flow.
#[derive(Debug, Clone)]
pub struct FlowRecord {
    /// Its id.
    pub id: Uuid,
    /// The court it links in.
    pub court_id: CourtId,
    /// The PACER account that started it.
    pub pacer_username: PacerUsername,
    /// Where it stands.
    pub stage: FlowStage,
    /// When its token stops working.
    pub expires_at: DateTime<Utc>,
}

/// A live flow with the names of the accounts it joins, as `PreviewLink`
/// shows them.
#[derive(Debug, Clone)]
pub struct FlowNames {
    /// The flow.
    pub flow: FlowRecord,
    /// The PACER account's name; `None` only if the account is gone.
    pub pacer_display_name: Option<DisplayName>,
    /// The proven CM/ECF account's name; `None` before `VerifyEcf` or if
    /// the account is gone.
    pub ecf_display_name: Option<DisplayName>,
}

/// What `confirm_link` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// The link was created in this call.
    Linked(LinkRecord),
    /// The CM/ECF password proven at VerifyEcf has since been reset or
    /// retired; nothing was written.
    ProofStale,
    /// The flow was no longer in the verified stage (another call confirmed
    /// it, or it expired, or it was re-verified meanwhile): re-read it.
    FlowChanged,
}

/// What `unlink` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnlinkOutcome {
    /// The link was removed and announced by the event with this sequence.
    Unlinked {
        /// The link as it stood.
        link: LinkRecord,
        /// The `UNLINKED` event's sequence.
        sequence: i64,
    },
    /// The CM/ECF account had no link.
    NotLinked,
}

/// What `reset_ecf_password` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetOutcome {
    /// The new password is in place.
    Reset,
    /// The account is linked; unlink first.
    Linked,
    /// No such account.
    NotFound,
}

/// Flows and the links they make.
#[async_trait]
pub trait FlowStore: Send + Sync {
    /// The link of a PACER account in one court, if any.
    async fn link_of_pacer(
        &self,
        court: &CourtId,
        pacer: &PacerUsername,
    ) -> Result<Option<LinkRecord>, StoreError>;
    /// The link of a CM/ECF account, if any.
    async fn link_of_ecf(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<Option<LinkRecord>, StoreError>;
    /// The link a confirmed flow created, if it still stands.
    async fn link_of_flow(&self, flow_id: Uuid) -> Result<Option<LinkRecord>, StoreError>;

    /// Stores a new flow at the PACER-authenticated stage; with
    /// `give_back`, gives back the attempt the sign-in that started it
    /// counted (as [`super::LockoutStore::clear_failures`] at its start),
    /// in the same commit.
    async fn create_flow(
        &self,
        flow: &NewFlow,
        give_back: Option<&SignInSubject>,
    ) -> Result<(), StoreError>;
    /// The flow stored under a token hash, if it exists and has not expired at `now`.
    async fn live_flow(
        &self,
        token: &FlowTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FlowRecord>, StoreError>;
    /// As [`FlowStore::live_flow`], with the names of both accounts read in
    /// the same lookup.
    async fn live_flow_names(
        &self,
        token: &FlowTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FlowNames>, StoreError>;
    /// Records a proven CM/ECF account, and the password hash the proof
    /// matched, on a live, unconfirmed flow. Returns false when the flow is
    /// gone, expired or already confirmed. With `give_back`, gives back the
    /// attempt the CM/ECF sign-in counted, in the same commit and whatever
    /// became of the flow (the password was proven either way).
    async fn record_ecf_verified(
        &self,
        flow_id: Uuid,
        login: &EcfLogin,
        proven_hash: &str,
        now: DateTime<Utc>,
        give_back: Option<&SignInSubject>,
    ) -> Result<bool, StoreError>;

    /// In one transaction: moves the flow from verified (with this CM/ECF
    /// login) to confirmed, inserts the link, retires the CM/ECF password and
    /// appends a `LINKED` event. All of it happens or none of it does.
    async fn confirm_link(
        &self,
        flow: &FlowRecord,
        ecf_login: &EcfLogin,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome, StoreError>;

    /// In one transaction: removes the CM/ECF account's link, keeps its
    /// password retired, records the reason and appends an `UNLINKED` event.
    async fn unlink(
        &self,
        court: &CourtId,
        login: &EcfLogin,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<UnlinkOutcome, StoreError>;

    /// Sets a new password hash on an unlinked CM/ECF account.
    async fn reset_ecf_password(
        &self,
        court: &CourtId,
        login: &EcfLogin,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ResetOutcome, StoreError>;
}
