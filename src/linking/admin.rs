//! Operator administration: courts and accounts.
use std::sync::Arc;

use super::{
    CreateCourt, CreateEcfAccount, CreatePacerAccount, LinkError, ResetEcfPassword, Unlink,
    Unlinked,
};
use crate::clock::Clock;
use crate::mfa::TotpKey;
use crate::password::PasswordHasher;
use crate::store::{
    LockoutPolicy, NewCourt, NewEcfAccount, NewPacerAccount, ResetOutcome, Store, UnlinkOutcome,
};

/// Creates courts and accounts; passwords are hashed before they reach the store.
#[derive(Clone)]
pub struct AdminService {
    pub(super) store: Arc<dyn Store>,
    hasher: PasswordHasher,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) totp_key: Option<TotpKey>,
    status_cache: Option<Arc<super::StatusCache>>,
    pub(super) lockout: Option<LockoutPolicy>,
}

impl AdminService {
    /// An admin service over `store`; `totp_key` seals enrolled secrets.
    pub fn new(
        store: Arc<dyn Store>,
        hasher: PasswordHasher,
        clock: Arc<dyn Clock>,
        totp_key: Option<TotpKey>,
    ) -> Self {
        Self {
            store,
            hasher,
            clock,
            totp_key,
            status_cache: None,
            lockout: None,
        }
    }

    /// Keeps `cache` current for the links this service removes.
    pub fn with_status_cache(mut self, cache: Option<Arc<super::StatusCache>>) -> Self {
        self.status_cache = cache;
        self
    }

    /// Reads lockout state under `policy`, the one sign-ins are held to.
    pub fn with_lockout_policy(mut self, policy: LockoutPolicy) -> Self {
        self.lockout = Some(policy);
        self
    }

    /// Registers a court.
    pub async fn create_court(&self, cmd: CreateCourt) -> Result<NewCourt, LinkError> {
        let court = NewCourt {
            id: cmd.court_id,
            name: cmd.name,
            ecf_login_prefix: cmd.ecf_login_prefix,
            environment: cmd.environment,
        };
        self.store.create_court(&court).await?;
        tracing::info!(court_id = court.id.as_str(), "court created");
        Ok(court)
    }

    /// Creates a PACER account.
    pub async fn create_pacer_account(
        &self,
        cmd: CreatePacerAccount,
    ) -> Result<NewPacerAccount, LinkError> {
        let account = NewPacerAccount {
            password_hash: self.hasher.hash(cmd.password.password()).await?,
            username: cmd.username,
            display_name: cmd.display_name,
            upgraded: cmd.upgraded,
        };
        self.store.create_pacer_account(&account).await?;
        tracing::info!(
            username = account.username.as_str(),
            "PACER account created"
        );
        Ok(account)
    }

    /// Creates a CM/ECF account in an existing court.
    pub async fn create_ecf_account(
        &self,
        cmd: CreateEcfAccount,
    ) -> Result<NewEcfAccount, LinkError> {
        let court = self
            .store
            .court(&cmd.court_id)
            .await?
            .ok_or(LinkError::UnknownCourt)?;
        if !cmd.login.has_prefix(&court.ecf_login_prefix) {
            return Err(LinkError::EcfLoginPrefixMismatch {
                prefix: court.ecf_login_prefix.as_str().to_owned(),
            });
        }
        let account = NewEcfAccount {
            password_hash: self.hasher.hash(cmd.password.password()).await?,
            court_id: cmd.court_id,
            login: cmd.login,
            display_name: cmd.display_name,
        };
        self.store.create_ecf_account(&account).await?;
        tracing::info!(
            court_id = account.court_id.as_str(),
            login = account.login.as_str(),
            "CM/ECF account created"
        );
        Ok(account)
    }

    /// Removes a link, for the record and with an `UNLINKED` event.
    pub async fn unlink(&self, cmd: Unlink) -> Result<Unlinked, LinkError> {
        self.store
            .court(&cmd.court_id)
            .await?
            .ok_or(LinkError::UnknownCourt)?;
        self.store
            .ecf_account(&cmd.court_id, &cmd.ecf_login)
            .await?
            .ok_or(LinkError::AccountNotFound)?;
        let now = self.clock.now();
        match self
            .store
            .unlink(&cmd.court_id, &cmd.ecf_login, cmd.reason.as_str(), now)
            .await?
        {
            UnlinkOutcome::Unlinked { link, sequence } => {
                if let Some(cache) = &self.status_cache {
                    cache.forget(&link.court_id, &link.ecf_login, &link.pacer_username);
                }
                crate::metrics::metrics().unlinks.inc();
                tracing::info!(
                    court_id = link.court_id.as_str(),
                    ecf_login = link.ecf_login.as_str(),
                    pacer_username = link.pacer_username.as_str(),
                    sequence,
                    "accounts unlinked"
                );
                Ok(Unlinked {
                    link,
                    sequence,
                    unlinked_at: now,
                })
            }
            UnlinkOutcome::NotLinked => Err(LinkError::EcfAccountNotLinked),
        }
    }

    /// Gives an unlinked CM/ECF account a new password, so the filer can link again.
    pub async fn reset_ecf_password(&self, cmd: ResetEcfPassword) -> Result<(), LinkError> {
        self.store
            .court(&cmd.court_id)
            .await?
            .ok_or(LinkError::UnknownCourt)?;
        let hash = self.hasher.hash(cmd.new_password.password()).await?;
        match self
            .store
            .reset_ecf_password(&cmd.court_id, &cmd.ecf_login, &hash, self.clock.now())
            .await?
        {
            ResetOutcome::Reset => {
                tracing::info!(
                    court_id = cmd.court_id.as_str(),
                    ecf_login = cmd.ecf_login.as_str(),
                    "CM/ECF password reset"
                );
                Ok(())
            }
            ResetOutcome::Linked => Err(LinkError::EcfAccountAlreadyLinked),
            ResetOutcome::NotFound => Err(LinkError::AccountNotFound),
        }
    }

    /// The store, for the demo loader's existence checks.
    pub(super) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}
