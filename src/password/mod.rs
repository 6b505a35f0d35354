//! argon2id hashing on a fixed pool of hashing threads.
//!
//! Hand-written, not `spawn_blocking` or a pool crate: none sheds at once
//! when full or reuses argon2 memory.
//!
//! A hash costs ~19 MiB and tens of milliseconds of CPU: on the async workers
//! it would stall every other call, and unbounded it would exhaust memory
//! under a burst. So hashes run on `concurrency` dedicated threads fed by a
//! bounded queue; a caller that finds the queue full is refused at once
//! (load shedding) rather than left waiting behind work the threads cannot
//! finish in time. Unknown accounts are checked against a dummy hash of
//! the same cost so that timing does not reveal which usernames exist.
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, Version, password_hash::phc::PasswordHash};

use crate::domain::Password;

mod argon;
pub mod legacy;
mod memory;
mod threads;

use argon::{hash_with, verify_with};
use memory::Memory;
use threads::{hashing_thread, return_large_frees_to_the_os};

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
                "argon2id parameters m={m_cost} t={t_cost} p={p_cost} are below the minimum \
                 m={} t={} p={}",
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
    /// Every queue slot is taken: the caller should retry after `retry_after`.
    #[error("password hashing queue full")]
    Overloaded {
        /// About how long the queued work takes to drain.
        retry_after: Duration,
    },
    /// argon2 refused the input or a stored hash is corrupt.
    #[error("password hashing failed: {0}")]
    Argon2(String),
    /// A stored hash is in no accepted format (only a corrupt row can be:
    /// imports check every hash before storing it).
    #[error(transparent)]
    Unsupported(#[from] legacy::UnsupportedHash),
}

/// How every hash this service makes begins; anything else was imported.
const CURRENT_PREFIX: &str = "$argon2id$";

/// Work for a hashing thread: it gets the thread's reusable argon2 memory.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// A hashing thread idle this long gives its argon2 buffer back to the
/// operating system, so an idle process does not hold `concurrency` x 19 MiB.
const IDLE_RELEASE: Duration = Duration::from_secs(2);

/// A reserved place in the hashing queue. Taken before any other work of a
/// sign-in (e.g. counting the attempt), so a refused call changes nothing.
pub struct HashSlot {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Hashes and verifies passwords on a fixed set of dedicated threads.
///
/// Each thread keeps one argon2 memory buffer (19 MiB at the default cost)
/// and reuses it while busy, so the process holds at most `concurrency`
/// buffers however many sign-ins arrive; after `IDLE_RELEASE` without work
/// the buffer is freed.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    jobs: mpsc::SyncSender<Job>,
    slots: Arc<tokio::sync::Semaphore>,
    /// How long one hash takes, for the retry hint of a refused call.
    hash_time: Duration,
    concurrency: usize,
    queue_depth: usize,
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// A hasher with `concurrency` hashing threads and room for
    /// `queue_depth` hashes in progress or waiting (at least `concurrency`).
    pub fn new(
        params: HashParams,
        concurrency: usize,
        queue_depth: usize,
    ) -> Result<Self, HashError> {
        return_large_frees_to_the_os();
        let concurrency = concurrency.max(1);
        let queue_depth = queue_depth.max(concurrency);
        let mut memory = Memory::new();
        let started = std::time::Instant::now();
        let dummy_hash = hash_with(
            &params,
            b"pacer-link dummy password for unknown accounts",
            &mut memory,
        )?;
        let hash_time = started.elapsed();
        drop(memory);
        let (jobs, queue) = mpsc::sync_channel::<Job>(queue_depth);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..concurrency {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("pacer-link-hash-{i}"))
                .spawn(move || hashing_thread(&queue))
                .map_err(|e| HashError::Task(e.to_string()))?;
        }
        Ok(Self {
            params,
            jobs,
            slots: Arc::new(tokio::sync::Semaphore::new(queue_depth)),
            hash_time,
            concurrency,
            queue_depth,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The configured parameters.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Reserves a place in the queue, or refuses at once when it is full.
    pub fn reserve(&self) -> Result<HashSlot, HashError> {
        match self.slots.clone().try_acquire_owned() {
            Ok(permit) => Ok(HashSlot { _permit: permit }),
            Err(_) => {
                crate::metrics::metrics().hash_shed.inc();
                // The queue drains `concurrency` hashes per hash time.
                let rounds = (self.queue_depth / self.concurrency).max(1) as u32;
                Err(HashError::Overloaded {
                    retry_after: (self.hash_time * rounds).max(Duration::from_millis(100)),
                })
            }
        }
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let slot = self.reserve()?;
        self.hash_in(slot, password).await
    }

    /// Hashes a new password in a reserved slot.
    pub async fn hash_in(&self, slot: HashSlot, password: &Password) -> Result<String, HashError> {
        let params = self.params;
        let password = password.clone();
        self.run(slot, move |memory| {
            hash_with(&params, password.expose(), memory)
        })
        .await
    }

    /// Whether `password` matches `stored`, an argon2id hash or an imported
    /// one in any [`legacy`] format. With no stored hash (unknown or retired
    /// account) the dummy hash is checked instead and the answer is always
    /// `false`, at the same cost as a real check.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<bool, HashError> {
        let slot = self.reserve()?;
        self.verify_in(slot, password, stored).await
    }

    /// `verify` in a reserved slot.
    pub async fn verify_in(
        &self,
        slot: HashSlot,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<bool, HashError> {
        let known = stored.is_some();
        let stored = stored.map(str::to_owned);
        let dummy = self.dummy_hash.clone();
        let password = password.clone();
        let matched = self
            .run(slot, move |memory| {
                let password = password.expose();
                match stored {
                    Some(phc) if phc.starts_with(CURRENT_PREFIX) => {
                        verify_with(password, &phc, memory)
                    }
                    Some(imported) => {
                        // An imported hash may take microseconds (MD5-crypt):
                        // the dummy argon2id check runs as well, so no answer
                        // comes sooner than an unknown account's, and the
                        // time tells nothing about the account or its format.
                        let matched = legacy::verify(&imported, password);
                        verify_with(password, &dummy, memory)?;
                        Ok(matched?)
                    }
                    None => verify_with(password, &dummy, memory),
                }
            })
            .await?;
        Ok(known && matched)
    }

    /// Whether a stored hash was made with weaker parameters than the
    /// configured ones (or is not a readable argon2id hash at all), so the
    /// next successful sign-in should store a fresh hash.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = Params::try_from(&hash) else {
            return true;
        };
        hash.algorithm != Algorithm::Argon2id.ident()
            || params.m_cost() < self.params.m_cost
            || params.t_cost() < self.params.t_cost
            || params.p_cost() < self.params.p_cost
    }

    async fn run<T: Send + 'static>(
        &self,
        slot: HashSlot,
        work: impl FnOnce(&mut Memory) -> Result<T, HashError> + Send + 'static,
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
            // The slot is free before the answer goes out: this low-priority
            // thread may be preempted right after sending, and the caller's
            // next sign-in must not find the slot still taken.
            drop(slot);
            let _ = reply.send(result);
        });
        m.hash_queue_depth.inc();
        // The slot guarantees room: the channel is as deep as the semaphore.
        if let Err(e) = self.jobs.try_send(job) {
            m.hash_queue_depth.dec();
            return Err(HashError::Task(match e {
                mpsc::TrySendError::Full(_) => "hashing queue full despite a slot".into(),
                mpsc::TrySendError::Disconnected(_) => "hashing threads stopped".into(),
            }));
        }
        answer
            .await
            .map_err(|_| HashError::Task("a hashing thread dropped its job".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(HashParams::OWASP_MINIMUM, 2, 4).unwrap()
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

    /// `openssl passwd -1` of "correct horse battery staple".
    const MD5_CRYPT: &str = "$1$Odwja.Zd$RuTJV7sbHrUj2xdkIUdal1";

    #[tokio::test]
    async fn an_imported_hash_verifies_its_password_only_and_asks_for_a_rehash() {
        let hasher = hasher();
        let right = Password::parse("correct horse battery staple").unwrap();
        let wrong = Password::parse("correct horse battery stapler").unwrap();

        assert!(hasher.verify(&right, Some(MD5_CRYPT)).await.unwrap());
        assert!(!hasher.verify(&wrong, Some(MD5_CRYPT)).await.unwrap());
        assert!(hasher.needs_rehash(MD5_CRYPT));
    }

    #[tokio::test]
    async fn a_fast_imported_hash_answers_no_sooner_than_an_unknown_account() {
        let hasher = hasher();
        let wrong = Password::parse("not the password").unwrap();
        let time = |stored: Option<&'static str>| {
            let (hasher, wrong) = (hasher.clone(), wrong.clone());
            async move {
                let started = std::time::Instant::now();
                hasher.verify(&wrong, stored).await.unwrap();
                started.elapsed()
            }
        };
        // Alternated, so that drift in the machine's speed hits both alike;
        // the fastest of each is its cost without interference.
        let (mut unknown, mut md5) = (std::time::Duration::MAX, std::time::Duration::MAX);
        for _ in 0..8 {
            unknown = unknown.min(time(None).await);
            md5 = md5.min(time(Some(MD5_CRYPT)).await);
        }

        // Without the dummy check MD5-crypt answers in microseconds, a
        // ten-thousandth of the argon2id time; half leaves room for noise.
        assert!(
            md5 * 2 >= unknown,
            "MD5-crypt {md5:?} vs unknown {unknown:?}"
        );
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_error_not_a_mismatch() {
        let hasher = hasher();
        let password = Password::parse("anything at all").unwrap();

        let result = hasher.verify(&password, Some("$1$broken")).await;

        assert!(
            matches!(result, Err(HashError::Unsupported(_))),
            "{result:?}"
        );
    }

    #[test]
    fn parameters_below_the_owasp_minimum_are_refused() {
        assert!(HashParams::new(19_455, 2, 1).is_err());
        assert!(HashParams::new(19_456, 1, 1).is_err());
        assert!(HashParams::new(65_536, 3, 1).is_ok());
    }
}
