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
    /// Proxies in front of the service that each append to x-forwarded-for
    /// (0 to 8): the caller's address is the hop this many from the right.
    /// 0 takes the TCP peer. Only when every request comes through them.
    #[arg(long, env = "PACER_LINK_TRUSTED_PROXY_HOPS", default_value_t = 0)]
    pub trusted_proxy_hops: u8,
    /// Removed: it trusted the leftmost x-forwarded-for hop, which the
    /// client writes. Refused when set, so that it is not silently ignored.
    #[arg(long, env = "PACER_LINK_TRUST_FORWARDED_FOR", hide = true)]
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
    pub fn source_policy(&self) -> Result<SourcePolicy, String> {
        if self.trust_forwarded_for {
            return Err("PACER_LINK_TRUST_FORWARDED_FOR was removed: the leftmost \
                 x-forwarded-for hop is written by the client; set \
                 PACER_LINK_TRUSTED_PROXY_HOPS to the number of proxies that append to it"
                .into());
        }
        match self.trusted_proxy_hops {
            0 => Ok(SourcePolicy::Peer),
            hops @ 1..=8 => Ok(SourcePolicy::TrustedProxies(hops)),
            hops => Err(format!(
                "PACER_LINK_TRUSTED_PROXY_HOPS must be between 0 and 8 (got {hops})"
            )),
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
    fn the_peer_is_the_caller_unless_proxies_are_trusted() {
        let two = ThrottlingArgs {
            trusted_proxy_hops: 2,
            ..args()
        };

        assert_eq!(args().source_policy(), Ok(SourcePolicy::Peer));
        assert_eq!(two.source_policy(), Ok(SourcePolicy::TrustedProxies(2)));
    }

    #[test]
    fn the_removed_leftmost_hop_option_and_too_many_hops_are_refused() {
        let removed = ThrottlingArgs {
            trust_forwarded_for: true,
            ..args()
        }
        .source_policy();
        let too_many = ThrottlingArgs {
            trusted_proxy_hops: 9,
            ..args()
        }
        .source_policy();

        assert!(
            removed
                .unwrap_err()
                .contains("PACER_LINK_TRUSTED_PROXY_HOPS")
        );
        assert!(too_many.unwrap_err().contains("between 0 and 8 (got 9)"));
    }
}
