//! Storage behind one trait, so handlers never see a database and a second
//! backend slots in without touching them. Every implementation must pass the
//! conformance suite in `tests/store_conformance.rs`.
mod audit;
pub mod lockout;
pub mod postgres;
mod records;
mod sql_store;
pub mod sqlite;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{CourtId, EcfLogin, FlowTokenHash, PacerUsername};
pub use audit::{
    AccountKey, AccountStatus, AuditFilter, AuditRecord, NewAuditEvent, PacerSignIn, PasswordOwner,
    TotpEnrollment,
};
pub use records::{
    CourtRecord, EcfAccountRecord, FailureOutcome, FlowRecord, FlowStage, LinkEventKind,
    LinkEventRecord, LinkRecord, LockoutPolicy, NewCourt, NewEcfAccount, NewFlow, NewPacerAccount,
    PacerAccountRecord, ResetOutcome, SignInSubject, UnlinkOutcome,
};

/// How a store's pool connects and how long a caller may wait for a connection.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Upper bound on open connections.
    pub max_connections: u32,
    /// How long a call waits for a connection before failing `UNAVAILABLE`.
    /// Short on purpose: a caller is better served by a fast error it can
    /// retry than by sqlx's 30 s default while the database is down.
    pub acquire_timeout: Duration,
}

/// The default embedded database file, used when no URL is configured.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://pacer-link.db";

/// Which backend a database URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`: production, any number of replicas.
    Postgres,
    /// `sqlite:`: embedded, a single instance.
    Sqlite,
}

impl Backend {
    /// The backend a URL names, or an error naming the URL's scheme.
    pub fn of(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(format!(
                "DATABASE_URL scheme {scheme:?} is not supported (use postgres:// or sqlite:)"
            ))
        }
    }
}

/// Opens the store a URL names. PostgreSQL connects lazily (the service may
/// start before its database); SQLite opens its file at once.
pub async fn open(url: &str, settings: &PoolSettings) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of(url).map_err(StoreError::Internal)? {
        Backend::Postgres => Ok(Arc::new(postgres::PgStore::connect_lazy(url, settings)?)),
        Backend::Sqlite => Ok(Arc::new(sqlite::SqliteStore::open(url, settings).await?)),
    }
}

/// Which uniqueness rule a write broke. Each maps to its own error reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The court id is taken.
    Court,
    /// The PACER username is taken.
    PacerAccount,
    /// The CM/ECF login is taken in that court.
    EcfAccount,
    /// The CM/ECF account already has a link.
    EcfAccountLinked,
    /// The PACER account already has a link in that court.
    PacerAccountLinked,
}

/// Errors of the storage layer. Each failure of the database keeps the
/// driver's error as its source; the message repeats the driver's, because
/// log lines print an error's message only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write; nothing was written.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// A write referred to a court that does not exist.
    #[error("unknown court")]
    UnknownCourt,
    /// The database could not be reached in time; safe to retry.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A statement failed for a reason no caller can act on.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The database URL does not parse.
    #[error("invalid database URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A stored row breaks an invariant: a bug or a corrupt row.
    #[error("storage failure: {0}")]
    Internal(String),
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

/// The persistent state of courts, accounts, flows and links.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies pending migrations of this backend.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Closes every connection.
    async fn close(&self);
    /// Connections in use and idle, for metrics.
    fn pool_state(&self) -> (u32, usize);
    /// Whether the database answers; used by readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;

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

    /// A PACER account with its second factor and its link in `court`, in
    /// one statement: what every PACER sign-in reads.
    async fn pacer_sign_in(
        &self,
        court: &CourtId,
        username: &PacerUsername,
    ) -> Result<Option<PacerSignIn>, StoreError>;

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

    /// Stores a new flow at the PACER-authenticated stage.
    async fn create_flow(&self, flow: &NewFlow) -> Result<(), StoreError>;
    /// The flow stored under a token hash, if it exists and has not expired at `now`.
    async fn live_flow(
        &self,
        token: &FlowTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FlowRecord>, StoreError>;
    /// Records a proven CM/ECF account on a live, unconfirmed flow. Returns
    /// false when the flow is gone, expired or already confirmed.
    async fn record_ecf_verified(
        &self,
        flow_id: Uuid,
        login: &EcfLogin,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

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

    /// Up to `limit` committed events with a sequence above `after`, in order.
    async fn events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LinkEventRecord>, StoreError>;

    /// The highest committed event sequence (0 when there is none).
    async fn last_event_sequence(&self) -> Result<i64, StoreError>;

    /// Wakes `wake` whenever an event may have committed (through any
    /// replica, for PostgreSQL), until the connection fails. Wake-ups may be
    /// coalesced or lost; readers also poll, so a lost one only delays.
    async fn listen_for_events(&self, wake: &tokio::sync::Notify) -> Result<(), StoreError>;

    /// Whether the subject is locked out at `now`.
    async fn is_locked(
        &self,
        subject: &SignInSubject,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<bool, StoreError>;

    /// Counts a failed sign-in atomically (concurrent failures on any replica
    /// are all counted) and locks the subject when the policy says so.
    async fn record_failure(
        &self,
        subject: &SignInSubject,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<FailureOutcome, StoreError>;

    /// After a successful sign-in (whose attempt was counted beforehand):
    /// gives that attempt back and forgets consecutive failures and locks.
    async fn clear_failures(&self, subject: &SignInSubject) -> Result<(), StoreError>;

    /// In one transaction: moves the flow from verified (with this CM/ECF
    /// login) to confirmed, inserts the link, retires the CM/ECF password and
    /// appends a `LINKED` event. All of it happens or none of it does.
    async fn confirm_link(
        &self,
        flow: &FlowRecord,
        ecf_login: &EcfLogin,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome, StoreError>;

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

    /// Appends events to the audit trail, all or none, in one statement.
    async fn append_audit(&self, events: &[NewAuditEvent]) -> Result<(), StoreError>;

    /// Up to `limit` audit events matching `filter`, newest first.
    async fn audit_events(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError>;

    /// Sets (or with `None` removes) a PACER account's sealed TOTP secret and
    /// forgets its last accepted step. False when the account does not exist.
    async fn set_totp(
        &self,
        username: &PacerUsername,
        sealed_secret: Option<&[u8]>,
    ) -> Result<bool, StoreError>;

    /// Marks `step` used if it is later than every step used before, in one
    /// statement, so two replicas cannot both accept the same code. True when
    /// this call claimed the step.
    async fn claim_totp_step(
        &self,
        username: &PacerUsername,
        step: i64,
    ) -> Result<bool, StoreError>;

    /// In one statement: `None` when the court does not exist, otherwise
    /// whether the account exists and its link in the court. The hot path of
    /// `GetLinkStatus`, so one round trip instead of three.
    async fn account_status(
        &self,
        court: &CourtId,
        account: &AccountKey,
    ) -> Result<Option<AccountStatus>, StoreError>;
}
