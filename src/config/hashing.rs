//! Password hashing: argon2id cost and the bounded pool that runs it.
use clap::Args;

use crate::password::HashParams;

/// argon2id parameters and how many hashes run or wait at once.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Password hashing")]
pub struct HashingArgs {
    /// argon2id memory cost in KiB (at least 19456).
    #[arg(long, env = "PACER_LINK_ARGON2_M_COST", default_value_t = 19_456)]
    pub argon2_m_cost: u32,
    /// argon2id iterations (at least 2).
    #[arg(long, env = "PACER_LINK_ARGON2_T_COST", default_value_t = 2)]
    pub argon2_t_cost: u32,
    /// argon2id lanes (at least 1).
    #[arg(long, env = "PACER_LINK_ARGON2_P_COST", default_value_t = 1)]
    pub argon2_p_cost: u32,
    /// Most password hashes computed at once; 0 means one per CPU core.
    #[arg(long, env = "PACER_LINK_HASH_CONCURRENCY", default_value_t = 0)]
    pub hash_concurrency: usize,
    /// Sign-ins that may wait for or hold a hashing thread; more are refused
    /// at once with RESOURCE_EXHAUSTED. 0 means twice the hashing threads,
    /// which keeps an admitted call's wait under one hash time; otherwise at
    /// least the hashing threads.
    #[arg(long, env = "PACER_LINK_HASH_QUEUE_DEPTH", default_value_t = 0)]
    pub hash_queue_depth: usize,
}

impl HashingArgs {
    /// The argon2id parameters; never below the OWASP minimum.
    pub fn params(&self) -> Result<HashParams, String> {
        HashParams::new(self.argon2_m_cost, self.argon2_t_cost, self.argon2_p_cost)
            .map_err(|e| format!("PACER_LINK_ARGON2_*: {e}"))
    }

    /// The hashing threads: as configured, or one per CPU core.
    pub fn concurrency(&self) -> usize {
        match self.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// The sign-ins admitted to hashing at once, for `concurrency` threads.
    /// A queue shorter than the threads would leave some of them idle, so
    /// it is refused rather than lengthened.
    pub fn queue_depth(&self, concurrency: usize) -> Result<usize, String> {
        match self.hash_queue_depth {
            0 => Ok(2 * concurrency),
            depth if depth >= concurrency => Ok(depth),
            depth => Err(format!(
                "PACER_LINK_HASH_QUEUE_DEPTH must be 0 or at least the hashing threads \
                 (PACER_LINK_HASH_CONCURRENCY, {concurrency} here; got {depth})"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> HashingArgs {
        super::super::parse_defaults()
    }

    #[test]
    fn the_default_cost_is_the_owasp_minimum() {
        assert_eq!(args().params(), Ok(HashParams::OWASP_MINIMUM));
    }

    #[test]
    fn a_cost_below_the_owasp_minimum_is_refused() {
        let refused = HashingArgs {
            argon2_m_cost: 1024,
            ..args()
        }
        .params();

        assert!(refused.unwrap_err().starts_with("PACER_LINK_ARGON2_*"));
    }

    #[test]
    fn zero_hashing_threads_means_one_per_core() {
        assert!(args().concurrency() >= 1);
    }

    #[test]
    fn an_explicit_thread_count_is_kept() {
        let args = HashingArgs {
            hash_concurrency: 3,
            ..args()
        };

        assert_eq!(args.concurrency(), 3);
    }

    #[test]
    fn a_zero_queue_depth_means_twice_the_threads() {
        assert_eq!(args().queue_depth(4), Ok(8));
    }

    #[test]
    fn a_queue_depth_of_at_least_the_threads_is_kept() {
        let args = HashingArgs {
            hash_queue_depth: 4,
            ..args()
        };

        assert_eq!(args.queue_depth(4), Ok(4));
    }

    #[test]
    fn a_queue_depth_below_the_threads_is_refused() {
        let refused = HashingArgs {
            hash_queue_depth: 3,
            ..args()
        }
        .queue_depth(4);

        assert!(refused.unwrap_err().contains("PACER_LINK_HASH_QUEUE_DEPTH"));
    }
}
