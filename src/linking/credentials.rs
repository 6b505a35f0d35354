//! Password and one-time-code proofs with per-account lockout, shared by
//! every sign-in path (AuthenticatePacer, VerifyEcf, AuthenticateFiler). The
//! failure count lives in the database, so guesses spread over replicas are
//! counted together.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::LinkError;
use crate::audit::{AuditFacts, sanitize};
use crate::clock::Clock;
use crate::domain::{CourtId, OtpCode, PacerUsername, Password};
use crate::mfa::{self, TotpKey};
use crate::password::{HashSlot, PasswordHasher};
use crate::store::{
    CourtRecord, FailureOutcome, LockoutPolicy, PacerSignIn, PasswordOwner, SeenFailures,
    SignInSubject, Store, TotpEnrollment,
};

/// Wrong one-time codes that lock an account's second factor: a six-digit
/// code has a million values, so fewer guesses are allowed than for a password.
pub const SECOND_FACTOR_THRESHOLD: u32 = 5;

/// Proves passwords and codes, counting failures and refusing locked accounts.
#[derive(Clone)]
pub struct Credentials {
    store: Arc<dyn Store>,
    hasher: PasswordHasher,
    clock: Arc<dyn Clock>,
    policy: LockoutPolicy,
    totp_key: Option<TotpKey>,
    /// Courts already read. A court is never changed or removed once
    /// created, so a record read once stays true; unknown ids are not kept
    /// (a court created later is found, and made-up ids cannot fill this).
    courts: Arc<RwLock<HashMap<CourtId, CourtRecord>>>,
}

impl Credentials {
    /// Proofs against `store` under `policy`; `totp_key` opens enrolled
    /// second factors.
    pub fn new(
        store: Arc<dyn Store>,
        hasher: PasswordHasher,
        clock: Arc<dyn Clock>,
        policy: LockoutPolicy,
        totp_key: Option<TotpKey>,
    ) -> Self {
        Self {
            store,
            hasher,
            clock,
            policy,
            totp_key,
            courts: Arc::default(),
        }
    }

    /// The court `id`, from memory after its first read: every sign-in and
    /// flow step needs it, and it never changes.
    pub async fn court(&self, id: &CourtId) -> Result<CourtRecord, LinkError> {
        let known = self
            .courts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned();
        if let Some(court) = known {
            return Ok(court);
        }
        let court = self.store.court(id).await?.ok_or(LinkError::UnknownCourt)?;
        self.courts
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), court.clone());
        Ok(court)
    }

    /// A place in the hashing queue, taken before any other work of a
    /// sign-in: a call refused under overload then costs no database round
    /// trip (so the refusal is quick and adds nothing to the load) and is
    /// not counted as a failed attempt.
    pub fn reserve(&self) -> Result<HashSlot, LinkError> {
        Ok(self.hasher.reserve()?)
    }

    /// Succeeds when `password` matches `stored` and the account is not
    /// locked (`seen`: its failures as read with it, if they were). Every
    /// failure, a lock included, is the same `INVALID_CREDENTIALS`, after
    /// the same full-cost hash, so neither the answer nor its timing says
    /// whether the account exists or is locked.
    ///
    /// The attempt stays counted until [`Self::settle`]: a caller with a
    /// further factor to check settles only once that passes too. A lock
    /// the answer hides is recorded in `facts`.
    pub async fn prove(
        &self,
        slot: HashSlot,
        owner: PasswordOwner,
        password: &Password,
        stored: Option<&str>,
        seen: &SeenFailures,
        facts: &AuditFacts,
    ) -> Result<(), LinkError> {
        let subject = &SignInSubject::of(&owner);
        let now = self.clock.now();
        // The attempt is counted before the hash, so a burst of concurrent
        // guesses cannot all pass a lock check made before any is recorded;
        // a success gives the count back.
        let attempt = self
            .store
            .record_failure_seen(subject, seen, now, &self.policy)
            .await?;
        let refused = attempt == FailureOutcome::AlreadyLocked;
        let proven = self
            .hasher
            .verify_in(slot, password, if refused { None } else { stored })
            .await?;
        if refused {
            facts.hidden_reason("ACCOUNT_LOCKED");
            let (kind, shown) = (subject.kind, sanitize(&subject.subject));
            tracing::warn!(kind, subject = %shown, "sign-in refused: account locked");
            return Err(LinkError::InvalidCredentials);
        }
        if proven {
            // A CM/ECF password is proven only to be retired at linking; a
            // new hash of it meanwhile would void the flow's proof.
            if let Some(stored) = stored
                && matches!(owner, PasswordOwner::Pacer(_))
                && self.hasher.needs_rehash(stored)
            {
                self.rehash_later(owner, password.clone(), stored.to_owned());
            }
            return Ok(());
        }
        if let FailureOutcome::Locked { until } = attempt {
            crate::metrics::metrics().lockouts.inc();
            facts.hidden_reason("ACCOUNT_LOCKED_NOW");
            let (kind, shown) = (subject.kind, sanitize(&subject.subject));
            tracing::warn!(kind, subject = %shown, %until, "account locked after many failures");
        }
        Err(LinkError::InvalidCredentials)
    }

    /// Ends a successful sign-in: gives its counted attempt back and forgets
    /// consecutive failures. A caller with a write to make next gives the
    /// attempt back in that write's commit instead
    /// ([`crate::store::FlowStore::create_flow`]).
    pub async fn settle(&self, subject: &SignInSubject) -> Result<(), LinkError> {
        Ok(self.store.clear_failures(subject, self.clock.now()).await?)
    }

    /// Proves PACER credentials in an existing court and settles the
    /// attempt: [`Self::sign_in_pacer_unsettled`], then [`Self::settle`].
    pub async fn sign_in_pacer(
        &self,
        court: &CourtId,
        username: &PacerUsername,
        password: &Password,
        otp_code: Option<&OtpCode>,
        facts: &AuditFacts,
    ) -> Result<(CourtRecord, PacerSignIn), LinkError> {
        let signed_in = self
            .sign_in_pacer_unsettled(court, username, password, otp_code, facts)
            .await?;
        self.settle(&SignInSubject::pacer(username)).await?;
        Ok(signed_in)
    }

    /// Proves PACER credentials in an existing court: the court, the
    /// password, and the one-time code if the account has a second factor.
    /// Unknown usernames are checked against the dummy hash, so they cost and
    /// answer the same as a wrong password. On success the attempt stays
    /// counted until the caller settles it, whatever it answers.
    pub async fn sign_in_pacer_unsettled(
        &self,
        court: &CourtId,
        username: &PacerUsername,
        password: &Password,
        otp_code: Option<&OtpCode>,
        facts: &AuditFacts,
    ) -> Result<(CourtRecord, PacerSignIn), LinkError> {
        let slot = self.reserve()?;
        let court = self.court(court).await?;
        // The account, its second factor, its link and the username's failed
        // sign-ins in one read, the same statements whether it exists or not.
        let read = self.store.pacer_sign_in(&court.id, username).await?;
        let (found, seen) = (read.found, read.failures);
        let stored = found.as_ref().map(|f| f.account.password_hash.as_str());
        self.prove(
            slot,
            PasswordOwner::Pacer(username.clone()),
            password,
            stored,
            &seen,
            facts,
        )
        .await?;
        let found = found.ok_or(LinkError::InvalidCredentials)?;
        // Only now, with the password proven, may the answer mention the
        // second factor; a wrong or missing code leaves the attempt counted.
        self.second_factor(
            &found.account.username,
            found.totp.as_ref(),
            otp_code,
            facts,
        )
        .await?;
        Ok((court, found))
    }

    async fn second_factor(
        &self,
        username: &PacerUsername,
        enrollment: Option<&TotpEnrollment>,
        code: Option<&OtpCode>,
        facts: &AuditFacts,
    ) -> Result<(), LinkError> {
        let Some(enrollment) = enrollment else {
            return Ok(());
        };
        let key = self.totp_key.as_ref().ok_or_else(|| {
            LinkError::Internal(
                "an account has a TOTP secret but PACER_LINK_TOTP_KEY is not configured".into(),
            )
        })?;
        let secret = key
            .open(username.as_str(), &enrollment.sealed_secret)
            .map_err(|e| LinkError::Internal(Box::new(e)))?;
        let Some(code) = code else {
            // Asking for the code is the normal first answer: not counted.
            facts.hidden_reason("MFA_CODE_MISSING");
            return Err(LinkError::MfaRequired);
        };
        // Counted before the code is checked, as passwords are, so that a
        // burst of parallel guesses cannot all pass a lock check; a right
        // code gives the attempt back.
        let subject = SignInSubject::second_factor(username);
        let now = self.clock.now();
        let attempt = self
            .store
            .record_failure(&subject, now, &self.second_factor_policy())
            .await?;
        if attempt == FailureOutcome::AlreadyLocked {
            facts.hidden_reason("MFA_LOCKED");
            return Err(LinkError::MfaRequired);
        }
        let miss = match mfa::matching_step(&secret, code, now.timestamp()) {
            None => Some("MFA_CODE_WRONG"),
            Some(step) if !self.store.claim_totp_step(username, step).await? => {
                Some("MFA_CODE_REUSED")
            }
            Some(_) => None,
        };
        if let Some(miss) = miss {
            let locked_now = matches!(attempt, FailureOutcome::Locked { .. });
            facts.hidden_reason(if locked_now { "MFA_LOCKED_NOW" } else { miss });
            return Err(LinkError::MfaRequired);
        }
        self.store.clear_failures(&subject, now).await?;
        Ok(())
    }

    /// The lockout of one-time codes: the account policy's, but locking
    /// after at most [`SECOND_FACTOR_THRESHOLD`] wrong codes.
    fn second_factor_policy(&self) -> LockoutPolicy {
        LockoutPolicy {
            threshold: self.policy.threshold.min(SECOND_FACTOR_THRESHOLD),
            ..self.policy
        }
    }

    /// Stores a hash at the configured cost in place of a weaker one, off the
    /// caller's path. Skipped under load; the next sign-in tries again.
    fn rehash_later(&self, owner: PasswordOwner, password: Password, old: String) {
        let hasher = self.hasher.clone();
        let store = self.store.clone();
        tokio::spawn(async move {
            let Ok(slot) = hasher.reserve() else { return };
            let result = match hasher.hash_in(slot, &password).await {
                Ok(new) => store
                    .replace_password_hash(&owner, &old, &new)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(true) => {
                    crate::metrics::metrics().rehashes.inc();
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "password rehash failed; retried at the next sign-in")
                }
            }
        });
    }
}
