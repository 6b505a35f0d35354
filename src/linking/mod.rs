//! The linking flow: steps 2 to 5 of the court's instructions.
mod admin;
mod commands;
mod coverage;
mod credentials;
pub mod demo;
mod error;
mod flow;
mod help_desk;
mod import;
mod requests;
mod second_factor;
mod status;
mod status_cache;

use std::sync::Arc;

pub use admin::AdminService;
pub use commands::{
    AuthenticateFiler, AuthenticatePacer, CreateCourt, CreateEcfAccount, CreatePacerAccount,
    EcfAccountView, FilerIdentity, LinkStatusView, PacerAccountView, Preview, ResetEcfPassword,
    StartedFlow, StatusQuery, StatusSubject, Unlink, Unlinked, VerifyEcf,
};
pub use coverage::{EcfAccountPage, EcfAccountQuery};
pub use credentials::Credentials;
pub use error::LinkError;
use flow::AnyFlow;
pub use help_desk::{AccountSecurity, UnlockAccount};
pub use import::{ImportSummary, Importer, MAX_LISTED, Rejection};
pub use requests::{Answer, REQUEST_ID_KEPT_FOR};
pub use second_factor::{AuditPage, AuditQuery, EnrollTotp, Secret};
pub use status::{MAX_BATCH, StatusService};
pub use status_cache::StatusCache;

use crate::audit::AuditFacts;
use crate::clock::Clock;
use crate::domain::{CourtId, FlowToken};
use crate::store::{
    ConfirmOutcome, CourtRecord, FlowRecord, LinkRecord, NewFlow, PasswordOwner, SignInSubject,
    Store, StoreError,
};

/// What ConfirmLink says on success, word for word from the court's page.
pub const LINKED_MESSAGE: &str = "Your PACER account has been linked to your CM/ECF account";

const REPLACEMENT_NOTICE: &str = "After you submit this screen, your old e-filing credentials for \
the CM/ECF account will be replaced by your PACER credentials.";
const MISMATCH_NOTICE: &str =
    "The names on the two accounts differ: go back if the names don't match.";

/// Runs the link flow over a store.
#[derive(Clone)]
pub struct LinkService {
    store: Arc<dyn Store>,
    credentials: Credentials,
    clock: Arc<dyn Clock>,
    flow_ttl: chrono::Duration,
    status_cache: Option<Arc<StatusCache>>,
}

impl LinkService {
    /// A service whose flows live for `flow_ttl`.
    pub fn new(
        store: Arc<dyn Store>,
        credentials: Credentials,
        clock: Arc<dyn Clock>,
        flow_ttl: std::time::Duration,
    ) -> Self {
        Self {
            store,
            credentials,
            clock,
            flow_ttl: chrono::Duration::from_std(flow_ttl).unwrap_or(chrono::Duration::MAX),
            status_cache: None,
        }
    }

    /// The court `id`'s public record.
    pub async fn court(&self, id: &CourtId) -> Result<CourtRecord, LinkError> {
        self.credentials.court(id).await
    }

    /// Keeps `cache` current for the links this service makes.
    pub fn with_status_cache(mut self, cache: Option<Arc<StatusCache>>) -> Self {
        self.status_cache = cache;
        self
    }

    /// Step 2: proves the PACER credentials and starts a flow in the court.
    pub async fn authenticate_pacer(
        &self,
        cmd: AuthenticatePacer,
        facts: &AuditFacts,
    ) -> Result<StartedFlow, LinkError> {
        let (court, found) = self
            .credentials
            .sign_in_pacer_unsettled(
                &cmd.court_id,
                &cmd.username,
                &cmd.password,
                cmd.otp_code.as_ref(),
                facts,
            )
            .await?;
        // Proven: the attempt is given back with the new flow, or here when
        // the account cannot start one.
        let subject = SignInSubject::pacer(&cmd.username);
        let account = found.account;
        // The link was read with the account, before the hash: an early
        // answer only, as ConfirmLink checks again inside its transaction.
        let refusal = if !account.upgraded {
            Some(LinkError::PacerAccountNotUpgraded)
        } else if found.link.is_some() {
            Some(LinkError::PacerAccountAlreadyLinked)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            self.credentials.settle(&subject).await?;
            return Err(refusal);
        }
        let token = FlowToken::generate();
        let now = self.clock.now();
        let flow = NewFlow {
            id: uuid::Uuid::new_v4(),
            token_hash: token.hash(),
            court_id: court.id,
            pacer_username: account.username.clone(),
            client_code: cmd.client_code,
            created_at: now,
            expires_at: now + self.flow_ttl,
        };
        let created = self.store.create_flow(&flow, Some(&subject)).await;
        self.given_back_or_settle(&subject, created).await?;
        Ok(StartedFlow {
            token,
            expires_at: flow.expires_at,
            pacer_account: account.into(),
        })
    }

    /// Step 3: proves the legacy CM/ECF credentials in the flow's court.
    pub async fn verify_ecf(
        &self,
        cmd: VerifyEcf,
        facts: &AuditFacts,
    ) -> Result<EcfAccountView, LinkError> {
        // Before any database work, so a call shed under overload costs none.
        let slot = self.credentials.reserve()?;
        let flow = self
            .live_flow(&cmd.flow_token, facts)
            .await?
            .open_for_ecf_verification()?;
        // VerifyEcf is an attempt on the CM/ECF account: that is its subject.
        facts.subject(cmd.ecf_login.as_str());
        let court = self.credentials.court(&flow.court_id).await?;
        if !cmd.ecf_login.has_prefix(&court.ecf_login_prefix) {
            return Err(LinkError::EcfLoginPrefixMismatch {
                prefix: court.ecf_login_prefix.as_str().to_owned(),
            });
        }
        // The account, its link and the login's failed sign-ins in one read,
        // the same statements whether it exists or not.
        let read = self
            .store
            .ecf_sign_in(&flow.court_id, &cmd.ecf_login)
            .await?;
        let (found, seen) = (read.found, read.failures);
        // A retired password is NULL and so verifies like an unknown login.
        let stored = found
            .as_ref()
            .and_then(|f| f.account.password_hash.as_deref());
        let subject = SignInSubject::ecf(&flow.court_id, &cmd.ecf_login);
        let owner = PasswordOwner::Ecf(flow.court_id.clone(), cmd.ecf_login.clone());
        self.credentials
            .prove(slot, owner, &cmd.ecf_password, stored, &seen, facts)
            .await?;
        // Proven, so both are there; the hash just proven is kept:
        // ConfirmLink retires the password only if it is still the one stored.
        let (Some(found), Some(proven_hash)) = (&found, stored) else {
            return Err(LinkError::InvalidCredentials);
        };
        // Read before the hash: an early answer only, as ConfirmLink checks
        // again inside its transaction.
        if found.link.is_some() {
            self.credentials.settle(&subject).await?;
            return Err(LinkError::EcfAccountAlreadyLinked);
        }
        // The attempt is given back with the flow's update, whether or not
        // the flow is still there to update.
        let account = &found.account;
        let recorded = self
            .store
            .record_ecf_verified(
                flow.id,
                &account.login,
                proven_hash,
                self.clock.now(),
                Some(&subject),
            )
            .await;
        if !self.given_back_or_settle(&subject, recorded).await? {
            return Err(LinkError::FlowNotFoundOrExpired);
        }
        Ok(account.clone().into())
    }

    /// Step 4: both accounts side by side, and what linking will do.
    pub async fn preview_link(
        &self,
        token: &FlowToken,
        facts: &AuditFacts,
    ) -> Result<Preview, LinkError> {
        // The flow and both names in one lookup.
        let read = self
            .store
            .live_flow_names(&token.hash(), self.clock.now())
            .await?
            .ok_or(LinkError::FlowNotFoundOrExpired)?;
        let flow = audited_flow(read.flow, facts).verified()?;
        let missing = || LinkError::Internal("a flow refers to a missing account".into());
        let pacer = PacerAccountView {
            username: flow.record.pacer_username,
            display_name: read.pacer_display_name.ok_or_else(missing)?,
        };
        let ecf = EcfAccountView {
            court_id: flow.record.court_id,
            login: flow.stage.ecf_login,
            display_name: read.ecf_display_name.ok_or_else(missing)?,
        };
        let names_match = pacer.display_name.matches(&ecf.display_name);
        let notice = if names_match {
            REPLACEMENT_NOTICE.to_owned()
        } else {
            format!("{REPLACEMENT_NOTICE} {MISMATCH_NOTICE}")
        };
        Ok(Preview {
            pacer_account: pacer,
            ecf_account: ecf,
            names_match,
            notice,
        })
    }

    /// Step 5: makes the link, or returns the link this flow already made.
    pub async fn confirm_link(
        &self,
        token: &FlowToken,
        facts: &AuditFacts,
    ) -> Result<LinkRecord, LinkError> {
        // A concurrent call may move the flow between our read and our
        // write; the store then reports FlowChanged and we read again. Three
        // rounds cover confirm-vs-confirm and confirm-vs-reverify races.
        for _ in 0..3 {
            let verified = match self.live_flow(token, facts).await? {
                AnyFlow::Confirmed(done) => {
                    return self
                        .store
                        .link_of_flow(done.record.id)
                        .await?
                        .ok_or(LinkError::FlowNotFoundOrExpired);
                }
                other => other.verified()?,
            };
            let outcome = self
                .store
                .confirm_link(
                    &verified.record,
                    &verified.stage.ecf_login,
                    self.clock.now(),
                )
                .await?;
            if outcome == ConfirmOutcome::ProofStale {
                return Err(LinkError::FlowNotFoundOrExpired);
            }
            if let ConfirmOutcome::Linked(link) = outcome {
                if let Some(cache) = &self.status_cache {
                    cache.forget(&link.court_id, &link.ecf_login, &link.pacer_username);
                }
                crate::metrics::metrics().links.inc();
                tracing::info!(
                    court_id = link.court_id.as_str(),
                    ecf_login = link.ecf_login.as_str(),
                    pacer_username = link.pacer_username.as_str(),
                    "accounts linked"
                );
                return Ok(link);
            }
        }
        Err(LinkError::FlowNotFoundOrExpired)
    }

    /// The result of a write that was to give back `subject`'s proven
    /// attempt in its commit. If it failed, nothing of it was committed:
    /// the attempt is given back on its own (best effort; the write's error
    /// is the answer), so a database fault does not count against a filer
    /// who proved the password.
    async fn given_back_or_settle<T>(
        &self,
        subject: &SignInSubject,
        result: Result<T, StoreError>,
    ) -> Result<T, LinkError> {
        if result.is_err()
            && let Err(error) = self.credentials.settle(subject).await
        {
            tracing::warn!(%error, "a proven sign-in's attempt stays counted");
        }
        Ok(result?)
    }

    async fn live_flow(&self, token: &FlowToken, facts: &AuditFacts) -> Result<AnyFlow, LinkError> {
        let record = self
            .store
            .live_flow(&token.hash(), self.clock.now())
            .await?
            .ok_or(LinkError::FlowNotFoundOrExpired)?;
        Ok(audited_flow(record, facts))
    }
}

/// A live flow, named in the audit trail by its court and PACER account,
/// since these steps carry only the token (which is never recorded).
fn audited_flow(record: FlowRecord, facts: &AuditFacts) -> AnyFlow {
    facts
        .court(record.court_id.as_str())
        .subject(record.pacer_username.as_str());
    AnyFlow::from(record)
}
