//! Per-source throttling of sign-in attempts, and who the caller is.
use clap::Args;

use crate::caller::SourcePolicy;
use crate::throttle::ThrottleSettings;

/// Sources tracked at once: bounds the throttle's memory.
const MAX_SOURCES: usize = 100_000;

/// How fast one source address may fail sign-ins.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Throttling")]
pub struct ThrottlingArgs {
    /// Failed sign-in attempts refilled per minute for each source address
    /// (IPv4 address or IPv6 /64); 0 turns per-source throttling off.
    #[arg(
        long,
        env = "PACER_LINK_SOURCE_ATTEMPTS_PER_MINUTE",
        default_value_t = 30
    )]
    pub source_attempts_per_minute: u32,
    /// Failed sign-in attempts a quiet source may make at once (at least 1
    /// while throttling is on).
    #[arg(long, env = "PACER_LINK_SOURCE_BURST", default_value_t = 20)]
    pub source_burst: u32,
    /// Take the caller's address from the first x-forwarded-for hop: only
    /// behind a proxy or mesh gateway that always sets it.
    #[arg(long, env = "PACER_LINK_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
}

impl ThrottlingArgs {
    /// The throttle's settings.
    pub fn throttle(&self) -> Result<ThrottleSettings, String> {
        if self.source_attempts_per_minute > 0 && self.source_burst == 0 {
            return Err(
                "PACER_LINK_SOURCE_BURST must be at least 1 while throttling is on \
                 (PACER_LINK_SOURCE_ATTEMPTS_PER_MINUTE=0 turns it off)"
                    .into(),
            );
        }
        Ok(ThrottleSettings {
            per_minute: self.source_attempts_per_minute,
            burst: self.source_burst,
            max_sources: MAX_SOURCES,
        })
    }

    /// Which address stands for the caller.
    pub fn source_policy(&self) -> SourcePolicy {
        if self.trust_forwarded_for {
            SourcePolicy::FirstForwardedHop
        } else {
            SourcePolicy::Peer
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ThrottlingArgs {
        super::super::parse_defaults()
    }

    #[test]
    fn by_default_a_source_may_fail_twenty_times_then_thirty_a_minute() {
        let settings = args().throttle().unwrap();

        assert_eq!(settings.per_minute, 30);
        assert_eq!(settings.burst, 20);
    }

    #[test]
    fn a_zero_burst_is_refused_while_throttling_is_on() {
        let refused = ThrottlingArgs {
            source_burst: 0,
            ..args()
        }
        .throttle();

        assert!(refused.unwrap_err().contains("PACER_LINK_SOURCE_BURST"));
    }

    #[test]
    fn a_zero_burst_is_accepted_when_throttling_is_off() {
        let settings = ThrottlingArgs {
            source_attempts_per_minute: 0,
            source_burst: 0,
            ..args()
        }
        .throttle();

        assert!(settings.is_ok());
    }

    #[test]
    fn the_peer_is_the_caller_unless_forwarded_for_is_trusted() {
        let trusting = ThrottlingArgs {
            trust_forwarded_for: true,
            ..args()
        };

        assert_eq!(args().source_policy(), SourcePolicy::Peer);
        assert_eq!(trusting.source_policy(), SourcePolicy::FirstForwardedHop);
    }
}
