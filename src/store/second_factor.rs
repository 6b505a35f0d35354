//! A PACER account's second factor (TOTP).
use async_trait::async_trait;

use super::StoreError;
use crate::domain::PacerUsername;

/// A PACER account's enrolled second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrollment {
    /// The secret, encrypted (nonce || ciphertext).
    pub sealed_secret: Vec<u8>,
    /// The last time step a code was accepted for.
    pub last_step: Option<i64>,
}

/// Enrolling a second factor and spending its codes once.
#[async_trait]
pub trait SecondFactorStore: Send + Sync {
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

    /// How many PACER accounts have a second factor enrolled; checked at
    /// start-up, since none of them could sign in without the TOTP key.
    async fn totp_enrollments(&self) -> Result<i64, StoreError>;
}
