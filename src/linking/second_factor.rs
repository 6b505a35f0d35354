//! Operator calls for second factors and the audit trail.
use super::{AdminService, LinkError};
use crate::domain::PacerUsername;
use crate::mfa;
use crate::store::{AuditCursor, AuditFilter, AuditRecord};

/// Enroll or remove a PACER account's TOTP second factor.
#[derive(Debug)]
pub struct EnrollTotp {
    /// The account.
    pub username: PacerUsername,
    /// The secret PACER issued, or `None` to generate one.
    pub secret: Option<Secret>,
    /// Remove instead of enrolling.
    pub remove: bool,
}

/// A TOTP shared secret; `Debug` is redacted.
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One page of the audit trail.
#[derive(Debug)]
pub struct AuditQuery {
    /// What to match.
    pub filter: AuditFilter,
    /// Events per page.
    pub page_size: u32,
}

/// The events of a page and where the next one starts.
#[derive(Debug)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditRecord>,
    /// Where the next page starts, if there may be more.
    pub next: Option<AuditCursor>,
}

impl AdminService {
    /// Enrolls, replaces or removes a second factor. Returns the secret only
    /// when it was generated here, for the filer's authenticator.
    pub async fn enroll_totp(&self, cmd: EnrollTotp) -> Result<Option<Secret>, LinkError> {
        if cmd.remove {
            if !self.store.set_totp(&cmd.username, None).await? {
                return Err(LinkError::AccountNotFound);
            }
            tracing::info!(
                username = cmd.username.as_str(),
                "TOTP second factor removed"
            );
            return Ok(None);
        }
        let key = self.totp_key.as_ref().ok_or(LinkError::TotpNotConfigured)?;
        let (secret, generated) = match cmd.secret {
            Some(secret) => (secret, false),
            None => {
                let mut bytes = vec![0u8; mfa::GENERATED_SECRET_BYTES];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
                (Secret(bytes), true)
            }
        };
        let sealed = key.seal(cmd.username.as_str(), &secret.0);
        if !self.store.set_totp(&cmd.username, Some(&sealed)).await? {
            return Err(LinkError::AccountNotFound);
        }
        tracing::info!(
            username = cmd.username.as_str(),
            "TOTP second factor enrolled"
        );
        Ok(generated.then_some(secret))
    }

    /// A page of the audit trail.
    pub async fn audit_events(&self, query: AuditQuery) -> Result<AuditPage, LinkError> {
        let size = i64::from(query.page_size);
        let events = self.store.audit_events(&query.filter, size).await?;
        let next = (events.len() as i64 == size)
            .then(|| events.last().map(|e| query.filter.cursor_after(e)))
            .flatten();
        Ok(AuditPage { events, next })
    }
}
