//! argon2id hashing on a fixed pool of hashing threads.
//!
//! A hash costs ~19 MiB and tens of milliseconds of CPU: on the async workers
//! it would stall every other call, and unbounded it would exhaust memory
//! under a burst. So hashes run on `concurrency` dedicated threads fed by a
//! bounded queue, and unknown accounts are checked against a dummy hash of
//! the same cost so that timing does not reveal which usernames exist.
use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use subtle::ConstantTimeEq;

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
    /// The hashing threads are gone (the service is shutting down).
    #[error("password hashing unavailable: {0}")]
    Task(String),
    /// argon2 refused the input or a stored hash is corrupt.
    #[error("password hashing failed: {0}")]
    Argon2(String),
}

fn argon2_error(e: impl std::fmt::Display) -> HashError {
    HashError::Argon2(e.to_string())
}

/// Work for a hashing thread: it gets the thread's reusable argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// How many hashes may wait for a thread; callers beyond it wait to enqueue.
const QUEUE_DEPTH: usize = 1024;

/// Hashes and verifies passwords on a fixed set of dedicated threads.
///
/// Each thread keeps one argon2 memory buffer (19 MiB at the default cost)
/// and reuses it for every hash, so the process holds `concurrency` buffers
/// however many sign-ins arrive, instead of allocating (and the allocator
/// retaining) a fresh one per call.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    jobs: tokio::sync::mpsc::Sender<Job>,
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// A hasher with `concurrency` hashing threads.
    pub fn new(params: HashParams, concurrency: usize) -> Result<Self, HashError> {
        let mut memory = Vec::new();
        let dummy_hash = hash_with(
            &params,
            b"pacer-link dummy password for unknown accounts",
            &mut memory,
        )?;
        drop(memory);
        let (jobs, queue) = tokio::sync::mpsc::channel::<Job>(QUEUE_DEPTH);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("pacer-link-hash-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        // One thread waits on the queue at a time; the others
                        // wait for the lock. All exit once every sender is gone.
                        let job = queue
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .blocking_recv();
                        match job {
                            Some(job) => job(&mut memory),
                            None => return,
                        }
                    }
                })
                .map_err(|e| HashError::Task(e.to_string()))?;
        }
        Ok(Self {
            params,
            jobs,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let params = self.params;
        let password = password.clone();
        self.run(move |memory| hash_with(&params, password.expose(), memory))
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
        let password = password.clone();
        let matched = self
            .run(move |memory| verify_with(password.expose(), &phc, memory))
            .await?;
        Ok(known && matched)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let m = crate::metrics::metrics();
        let (reply, answer) = tokio::sync::oneshot::channel();
        // The wait span lasts from queueing until a thread picks the job up.
        let wait_span = tracing::info_span!("password_hash_wait");
        let hash_span = tracing::info_span!("password_hash");
        let queued = std::time::Instant::now();
        let job: Job = Box::new(move |memory| {
            drop(wait_span);
            // A caller that gave up (deadline, disconnect) is not worth a hash.
            if reply.is_closed() {
                crate::metrics::metrics().hash_queue_depth.dec();
                return;
            }
            let m = crate::metrics::metrics();
            m.hash_queue_depth.dec();
            m.hash_wait
                .observe(crate::metrics::seconds(queued.elapsed()));
            let started = std::time::Instant::now();
            let result = hash_span.in_scope(|| work(memory));
            m.hash_duration
                .observe(crate::metrics::seconds(started.elapsed()));
            let _ = reply.send(result);
        });
        m.hash_queue_depth.inc();
        if self.jobs.send(job).await.is_err() {
            m.hash_queue_depth.dec();
            return Err(HashError::Task("hashing threads stopped".into()));
        }
        answer
            .await
            .map_err(|_| HashError::Task("a hashing thread dropped its job".into()))?
    }
}

/// Makes sure `memory` holds at least `blocks` argon2 blocks.
fn ensure_blocks(memory: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    &mut memory[..blocks]
}

fn hash_with(
    params: &HashParams,
    password: &[u8],
    memory: &mut Vec<Block>,
) -> Result<String, HashError> {
    let argon2 = params.argon2();
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    let mut out = [0u8; 32];
    let blocks = argon2.params().block_count();
    argon2
        .hash_password_into_with_memory(password, &salt, &mut out, ensure_blocks(memory, blocks))
        .map_err(argon2_error)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(argon2_error)?,
        salt: Some(Salt::new(&salt).map_err(argon2_error)?),
        hash: Some(Output::new(&out).map_err(argon2_error)?),
    };
    Ok(phc.to_string())
}

fn verify_with(password: &[u8], phc: &str, memory: &mut Vec<Block>) -> Result<bool, HashError> {
    let hash = PasswordHash::new(phc).map_err(argon2_error)?;
    if hash.algorithm != Algorithm::Argon2id.ident() {
        return Err(HashError::Argon2(format!(
            "unsupported algorithm {}",
            hash.algorithm
        )));
    }
    let params = Params::try_from(&hash).map_err(argon2_error)?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(argon2_error)?
        .unwrap_or_default();
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(HashError::Argon2(
            "stored hash lacks a salt or an output".into(),
        ));
    };
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    Argon2::new(Algorithm::Argon2id, version, params)
        .hash_password_into_with_memory(
            password,
            salt.as_ref(),
            &mut out,
            ensure_blocks(memory, blocks),
        )
        .map_err(argon2_error)?;
    Ok(bool::from(out.as_slice().ct_eq(expected)))
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
