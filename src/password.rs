//! argon2id hashing on a bounded pool of blocking threads.
//!
//! A hash costs ~19 MiB and tens of milliseconds of CPU: on the async workers
//! it would stall every other call, and unbounded it would exhaust memory
//! under a burst. So hashes run under `spawn_blocking`, at most `concurrency`
//! at a time, and unknown accounts are checked against a dummy hash of the
//! same cost so that timing does not reveal which usernames exist.
use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash},
};
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::domain::Password;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl HashParams {
    /// The OWASP minimum for argon2id: m=19456 KiB, t=2, p=1.
    pub const OWASP_MINIMUM: Self = Self {
        m_cost: 19_456,
        t_cost: 2,
        p_cost: 1,
    };

    /// Validated parameters; never below the OWASP minimum.
    pub fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self, String> {
        let min = Self::OWASP_MINIMUM;
        if m_cost < min.m_cost || t_cost < min.t_cost || p_cost < min.p_cost {
            return Err(format!(
                "argon2id parameters m={m_cost} t={t_cost} p={p_cost} are below the minimum m={} t={} p={}",
                min.m_cost, min.t_cost, min.p_cost
            ));
        }
        Params::new(m_cost, t_cost, p_cost, None).map_err(|e| e.to_string())?;
        Ok(Self {
            m_cost,
            t_cost,
            p_cost,
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.m_cost, self.t_cost, self.p_cost, None)
            .expect("parameters were validated in HashParams::new");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Hashing failed for a reason other than a wrong password.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The hashing thread panicked or was cancelled.
    #[error("password hashing task failed: {0}")]
    Task(String),
    /// argon2 refused the input or a stored hash is corrupt.
    #[error("password hashing failed: {0}")]
    Argon2(String),
}

/// Hashes and verifies passwords off the async runtime, with bounded concurrency.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once.
    pub fn new(params: HashParams, concurrency: usize) -> Result<Self, HashError> {
        let dummy = params
            .argon2()
            .hash_password(b"pacer-link dummy password for unknown accounts")
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy.to_string().into(),
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let argon2 = self.params.argon2();
        let password = password.clone();
        self.run(move || {
            argon2
                .hash_password(password.expose())
                .map(|hash| hash.to_string())
                .map_err(|e| HashError::Argon2(e.to_string()))
        })
        .await
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown or
    /// retired account) the dummy hash is checked instead and the answer is
    /// always `false`, at the same cost as a real check.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<bool, HashError> {
        let known = stored.is_some();
        let phc = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let argon2 = self.params.argon2();
        let password = password.clone();
        let matched = self
            .run(move || {
                let hash = PasswordHash::new(&phc).map_err(|e| HashError::Argon2(e.to_string()))?;
                match argon2.verify_password(password.expose(), &hash) {
                    Ok(()) => Ok(true),
                    Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                    Err(e) => Err(HashError::Argon2(e.to_string())),
                }
            })
            .await?;
        Ok(known && matched)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let m = crate::metrics::metrics();
        let queued = std::time::Instant::now();
        m.hash_queue_depth.inc();
        let permit = self
            .permits
            .acquire()
            .instrument(tracing::info_span!("password_hash_wait"))
            .await;
        m.hash_queue_depth.dec();
        let permit = permit.map_err(|e| HashError::Task(e.to_string()))?;
        m.hash_wait
            .observe(crate::metrics::seconds(queued.elapsed()));
        let span = tracing::info_span!("password_hash");
        let result = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let result = span.in_scope(work);
            crate::metrics::metrics()
                .hash_duration
                .observe(crate::metrics::seconds(started.elapsed()));
            result
        })
        .await
        .map_err(|e| HashError::Task(e.to_string()))?;
        drop(permit);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(HashParams::OWASP_MINIMUM, 2).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = hasher();
        let right = Password::parse("correct horse battery").unwrap();
        let wrong = Password::parse("correct horse battery ").unwrap();
        let stored = hasher.hash(&right).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(&right, Some(&stored)).await.unwrap());
        assert!(!hasher.verify(&wrong, Some(&stored)).await.unwrap());
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = hasher();
        let password = Password::parse("pacer-link dummy password for unknown accounts").unwrap();
        assert!(!hasher.verify(&password, None).await.unwrap());
    }

    #[test]
    fn parameters_below_the_owasp_minimum_are_refused() {
        assert!(HashParams::new(19_455, 2, 1).is_err());
        assert!(HashParams::new(19_456, 1, 1).is_err());
        assert!(HashParams::new(65_536, 3, 1).is_ok());
    }
}
