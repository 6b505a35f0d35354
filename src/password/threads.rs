//! The hashing threads: how each takes work, frees its memory when idle,
//! and yields the CPU to request work.
use std::sync::{Mutex, mpsc};

use super::{IDLE_RELEASE, Job, Memory};

/// One hashing thread: takes jobs until every sender is gone, and frees its
/// buffer when idle.
pub(super) fn hashing_thread(queue: &Mutex<mpsc::Receiver<Job>>) {
    yield_to_request_work();
    let mut memory = Memory::new();
    loop {
        // One thread waits on the queue at a time; the others wait for the lock.
        let job = queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .recv_timeout(IDLE_RELEASE);
        match job {
            Ok(job) => job(&mut memory),
            Err(mpsc::RecvTimeoutError::Timeout) => memory = Memory::new(),
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Marks the calling hashing thread as batch work of lower priority.
///
/// A hash is tens of milliseconds of pure CPU; a request's other steps (a
/// database round trip, routing, an answer) need the CPU for microseconds at
/// a time. At equal priority, every such step that wakes while both cores
/// hash waits for a scheduler slice, which leaves the hashing threads idle
/// between a sign-in's steps and stalls unrelated calls (GetLinkStatus).
/// At nice 10 under `SCHED_BATCH` the short steps run first and the hashing
/// threads take every cycle left over, so the pool stays busy and the async
/// runtime is never held up by hashing. Only this process's threads compete
/// here: a container's CPU share is unchanged. Failure (a sandbox refusing
/// the call) leaves normal priority.
fn yield_to_request_work() {
    #[cfg(target_os = "linux")]
    {
        /// The hashing threads' nice value (0 is normal, 19 the lowest).
        const HASHING_NICE: libc::c_int = 10;
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: both calls only change the calling thread's scheduling
        // attributes (pid/tid 0 = this thread on Linux); errors are ignored
        // on purpose, as above.
        unsafe {
            libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
            libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICE);
        }
    }
}

/// glibc raises its mmap threshold to the size of the last large block
/// freed, after which 19 MiB argon2 buffers come from the heap and stay in
/// the process when freed. A fixed threshold keeps them mmap-backed, so a
/// freed buffer goes straight back to the operating system.
pub(super) fn return_large_frees_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only changes allocator tuning; it is called once,
        // and a zero return (refusal) leaves the default behaviour.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        });
    }
}
