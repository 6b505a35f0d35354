//! Password proofs with per-account lockout, shared by every sign-in path
//! (AuthenticatePacer, VerifyEcf, AuthenticateFiler). The failure count lives
//! in the database, so guesses spread over replicas are counted together.
use std::sync::Arc;

use super::{LinkError, clock::Clock};
use crate::domain::{CourtId, PacerUsername, Password};
use crate::password::PasswordHasher;
use crate::store::{
    CourtRecord, FailureOutcome, LockoutPolicy, PacerAccountRecord, SignInSubject, Store,
};

/// Proves passwords, counting failures and refusing locked accounts.
#[derive(Clone)]
pub struct Credentials {
    store: Arc<dyn Store>,
    hasher: PasswordHasher,
    clock: Arc<dyn Clock>,
    policy: LockoutPolicy,
}

impl Credentials {
    /// Proofs against `store` under `policy`.
    pub fn new(
        store: Arc<dyn Store>,
        hasher: PasswordHasher,
        clock: Arc<dyn Clock>,
        policy: LockoutPolicy,
    ) -> Self {
        Self {
            store,
            hasher,
            clock,
            policy,
        }
    }

    /// Succeeds when `password` matches `stored` and the subject is not
    /// locked. Every failure, a lock included, is the same
    /// `INVALID_CREDENTIALS`, after the same full-cost hash, so neither the
    /// answer nor its timing says whether the account exists or is locked.
    pub async fn prove(
        &self,
        subject: &SignInSubject,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<(), LinkError> {
        let now = self.clock.now();
        // The attempt is counted before the hash, so a burst of concurrent
        // guesses cannot all pass a lock check made before any is recorded;
        // a success gives the count back.
        let attempt = self
            .store
            .record_failure(subject, now, &self.policy)
            .await?;
        let refused = attempt == FailureOutcome::AlreadyLocked;
        let proven = self
            .hasher
            .verify(password, if refused { None } else { stored })
            .await?;
        if refused {
            tracing::warn!(kind = subject.kind, subject = %subject.subject, "sign-in refused: account locked");
            return Err(LinkError::InvalidCredentials);
        }
        if proven {
            self.store.clear_failures(subject).await?;
            return Ok(());
        }
        if let FailureOutcome::Locked { until } = attempt {
            crate::metrics::metrics().lockouts.inc();
            tracing::warn!(kind = subject.kind, subject = %subject.subject, %until, "account locked after repeated failures");
        }
        Err(LinkError::InvalidCredentials)
    }

    /// Proves PACER credentials in an existing court: the court and the
    /// account. Unknown usernames are checked against the dummy hash, so
    /// they cost and answer the same as a wrong password.
    pub async fn sign_in_pacer(
        &self,
        court: &CourtId,
        username: &PacerUsername,
        password: &Password,
    ) -> Result<(CourtRecord, PacerAccountRecord), LinkError> {
        let court = self
            .store
            .court(court)
            .await?
            .ok_or(LinkError::UnknownCourt)?;
        let account = self.store.pacer_account(username).await?;
        let stored = account.as_ref().map(|a| a.password_hash.as_str());
        self.prove(&SignInSubject::pacer(username), password, stored)
            .await?;
        let account = account.ok_or(LinkError::InvalidCredentials)?;
        Ok((court, account))
    }
}
