//! The event outbox and the streams that follow it.
use std::time::Duration;

use clap::Args;

use super::in_range;
use crate::events::EventSettings;

/// How the event outbox is read and how far a stream may fall behind.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Events")]
pub struct EventArgs {
    /// How often the event outbox is read without a wake-up, in milliseconds
    /// (10 to 60000).
    #[arg(long, env = "PACER_LINK_EVENT_POLL_MS", default_value_t = 1000)]
    pub event_poll_ms: u64,
    /// Events buffered per WatchLinkEvents stream before a consumer that
    /// cannot keep up is ended (it resumes from its cursor); 16 to 1048576.
    #[arg(long, env = "PACER_LINK_EVENT_STREAM_BUFFER", default_value_t = 1024)]
    pub event_stream_buffer: usize,
}

impl EventArgs {
    /// The event hub's settings.
    pub fn settings(&self) -> Result<EventSettings, String> {
        Ok(EventSettings {
            poll_interval: Duration::from_millis(in_range(
                "PACER_LINK_EVENT_POLL_MS",
                self.event_poll_ms,
                10..=60_000,
            )?),
            listen: true,
            stream_buffer: in_range(
                "PACER_LINK_EVENT_STREAM_BUFFER",
                self.event_stream_buffer,
                16..=1 << 20,
            )?,
            stall_timeout: Duration::from_secs(10),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> EventArgs {
        super::super::parse_defaults()
    }

    #[test]
    fn by_default_the_outbox_is_polled_every_second_and_streams_buffer_1024_events() {
        let settings = args().settings().unwrap();

        assert_eq!(settings.poll_interval, Duration::from_secs(1));
        assert_eq!(settings.stream_buffer, 1024);
        assert!(settings.listen);
    }

    #[test]
    fn a_poll_interval_under_10_ms_is_refused() {
        let refused = EventArgs {
            event_poll_ms: 9,
            ..args()
        }
        .settings();

        assert_eq!(
            refused.unwrap_err(),
            "PACER_LINK_EVENT_POLL_MS must be between 10 and 60000 (got 9)"
        );
    }

    #[test]
    fn a_poll_interval_over_a_minute_is_refused() {
        let refused = EventArgs {
            event_poll_ms: 60_001,
            ..args()
        }
        .settings();

        assert!(refused.unwrap_err().contains("PACER_LINK_EVENT_POLL_MS"));
    }

    #[test]
    fn the_poll_interval_bounds_are_accepted_as_given() {
        for ms in [10, 60_000] {
            let settings = EventArgs {
                event_poll_ms: ms,
                ..args()
            }
            .settings()
            .unwrap();

            assert_eq!(settings.poll_interval, Duration::from_millis(ms));
        }
    }

    #[test]
    fn a_stream_buffer_under_16_is_refused() {
        let refused = EventArgs {
            event_stream_buffer: 15,
            ..args()
        }
        .settings();

        assert_eq!(
            refused.unwrap_err(),
            "PACER_LINK_EVENT_STREAM_BUFFER must be between 16 and 1048576 (got 15)"
        );
    }

    #[test]
    fn a_stream_buffer_over_a_million_events_is_refused() {
        let refused = EventArgs {
            event_stream_buffer: (1 << 20) + 1,
            ..args()
        }
        .settings();

        assert!(
            refused
                .unwrap_err()
                .contains("PACER_LINK_EVENT_STREAM_BUFFER")
        );
    }
}
