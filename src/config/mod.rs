//! Command line and environment. Every flag has an environment variable;
//! secrets come from the environment only, never from flags (which any user
//! on the host can read in the process list).
//!
//! Each subsystem owns its options and their validation; `ServeArgs` flattens
//! them. A value outside its accepted range is refused with a message naming
//! the variable, never silently changed.
mod callers;
mod database;
mod events;
mod hashing;
mod housekeeping;
mod lockout;
mod operators;
mod secrets;
mod service;
mod shutdown;
mod telemetry;
mod throttling;
mod tls;
mod transport;
mod web;

use std::{fmt::Display, net::SocketAddr, ops::RangeInclusive, time::Duration};

use clap::{Args, FromArgMatches, Parser, Subcommand};

use crate::caller::SourcePolicy;
use crate::events::EventSettings;
use crate::identity::CallerSettings;
use crate::mfa::TotpKey;
use crate::password::HashParams;
use crate::store::{LockoutPolicy, PoolSettings};
use crate::throttle::ThrottleSettings;

pub use callers::CallerArgs;
pub use database::DatabaseArgs;
pub use events::EventArgs;
pub use hashing::HashingArgs;
pub use housekeeping::{HousekeepArgs, HousekeepingArgs};
pub use lockout::LockoutArgs;
pub use operators::{OPERATORS_FILE_ENV, Operator, OperatorArgs};
pub use secrets::{ADMIN_TOKEN_ENV, Secrets, TOTP_KEY_ENV, secret_from_env};
pub use service::ServiceArgs;
pub use shutdown::{ShutdownArgs, ShutdownSettings};
pub use telemetry::TelemetryArgs;
pub use throttling::ThrottlingArgs;
pub use tls::{TlsArgs, TlsSettings};
pub use transport::{TransportArgs, TransportSettings};
pub use web::WebArgs;

/// pacer-link: links upgraded PACER accounts to legacy CM/ECF e-filing accounts.
#[derive(Debug, Parser)]
#[command(name = "pacer-link", version, about)]
pub struct Cli {
    /// Log lines as JSON (with trace and span ids, for production) or as text.
    #[arg(
        long,
        env = "PACER_LINK_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: crate::telemetry::LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (applies pending migrations first unless told not to).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Import accounts with their legacy password hashes from a JSON Lines
    /// file into a running service (operator token from PACER_LINK_ADMIN_TOKEN
    /// or PACER_LINK_ADMIN_TOKEN_FILE).
    Import(crate::client::ImportArgs),
    /// Reports for the clerk's office from a running service (operator token
    /// from PACER_LINK_ADMIN_TOKEN or PACER_LINK_ADMIN_TOKEN_FILE).
    #[command(subcommand)]
    Report(crate::client::ReportCommand),
    /// Purge expired flows, forgotten failure rows and audit rows past their
    /// retention once, and exit (for a Kubernetes CronJob).
    Housekeep(Box<HousekeepArgs>),
    /// Serve the reference CM/ECF front-end: the court's linking screens and
    /// the CM/ECF login, as a gRPC client of a running service.
    Web(WebArgs),
}

/// `serve` options, one group per subsystem.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address, flows, request size, status cache.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Password hashing.
    #[command(flatten)]
    pub hashing: HashingArgs,
    /// Per-source throttling of sign-ins.
    #[command(flatten)]
    pub throttling: ThrottlingArgs,
    /// TLS on the gRPC port.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Caller identity and the caller policy.
    #[command(flatten)]
    pub callers: CallerArgs,
    /// Per-account lockout.
    #[command(flatten)]
    pub lockout: LockoutArgs,
    /// Metrics.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
    /// The event outbox and streams.
    #[command(flatten)]
    pub events: EventArgs,
    /// What happens after SIGTERM.
    #[command(flatten)]
    pub shutdown: ShutdownArgs,
    /// Limits on connections and event streams.
    #[command(flatten)]
    pub transport: TransportArgs,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Who may make admin calls.
    #[command(flatten)]
    pub operators: OperatorArgs,
    /// Housekeeping.
    #[command(flatten)]
    pub housekeeping: HousekeepingArgs,
}

/// Everything the service needs to start, validated.
#[derive(Clone)]
pub struct Settings {
    /// Address of the gRPC port; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The database URL (PostgreSQL or SQLite).
    pub database_url: String,
    /// Pool sizing and timeouts.
    pub pool: PoolSettings,
    /// Whether to apply migrations at start-up.
    pub migrate: bool,
    /// Whether to load the demo data.
    pub demo: bool,
    /// Flow token lifetime.
    pub flow_ttl: Duration,
    /// argon2id parameters.
    pub hash_params: HashParams,
    /// Most concurrent hashes.
    pub hash_concurrency: usize,
    /// The development admin token, held by the operator `admin`.
    pub admin_token: Option<String>,
    /// The operators of `PACER_LINK_OPERATORS_FILE`; with no token either,
    /// every admin call is refused.
    pub operators: Vec<Operator>,
    /// Event stream settings.
    pub events: EventSettings,
    /// Shutdown timing.
    pub shutdown: ShutdownSettings,
    /// Where to serve Prometheus metrics, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Per-account lockout.
    pub lockout: LockoutPolicy,
    /// Largest request message accepted.
    pub max_request_bytes: usize,
    /// Sign-ins admitted to the hashing queue at once.
    pub hash_queue_depth: usize,
    /// Per-source throttling of sign-in attempts.
    pub throttle: ThrottleSettings,
    /// Which address stands for the caller.
    pub source_policy: SourcePolicy,
    /// The key sealing TOTP secrets; without it no second factor can be enrolled.
    pub totp_key: Option<TotpKey>,
    /// TLS on the gRPC port, if configured.
    pub tls: Option<TlsSettings>,
    /// How callers are named and what they may call.
    pub callers: CallerSettings,
    /// Longest life of a cached link status; zero turns the cache off.
    pub status_cache_ttl: Duration,
    /// Limits on connections and event streams.
    pub transport: TransportSettings,
    /// Audit retention and the housekeeping interval.
    pub housekeeping: crate::housekeeping::HousekeepingSettings,
    /// Where the demo also serves the reference front-end's pages (only with
    /// `demo`).
    pub web_listen: Option<SocketAddr>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("migrate", &self.migrate)
            .field("demo", &self.demo)
            .field("flow_ttl", &self.flow_ttl)
            .field("hash_params", &self.hash_params)
            .field("hash_concurrency", &self.hash_concurrency)
            .finish_non_exhaustive()
    }
}

impl ServeArgs {
    /// The options as an empty command line gives them, whatever the
    /// environment holds: the real defaults, for tests to start from.
    pub fn defaults() -> Self {
        parse_defaults()
    }

    /// Validates the options and reads the secrets (admin token, TOTP key)
    /// from the environment or their `_FILE`s; the error names the setting at fault.
    pub fn settings(&self) -> Result<Settings, String> {
        self.settings_with(Secrets::from_env()?)
    }

    /// Validates the options, with secrets already in hand.
    pub fn settings_with(&self, secrets: Secrets) -> Result<Settings, String> {
        let hash_concurrency = self.hashing.concurrency();
        let operators = self.operators.operators()?;
        operators::check_dev(&operators, secrets.admin_token.is_some())?;
        Ok(Settings {
            listen: self.service.listen,
            database_url: self.database.url()?,
            pool: self.database.pool()?,
            migrate: !self.service.skip_migrations,
            demo: self.service.demo,
            flow_ttl: self.service.flow_ttl()?,
            hash_params: self.hashing.params()?,
            hash_concurrency,
            hash_queue_depth: self.hashing.queue_depth(hash_concurrency)?,
            admin_token: secrets.admin_token,
            operators,
            totp_key: secrets.totp_key,
            events: self.events.settings()?,
            shutdown: self.shutdown.settings()?,
            metrics_listen: self.telemetry.metrics_listen,
            lockout: self.lockout.policy()?,
            max_request_bytes: self.service.max_request_bytes()?,
            throttle: self.throttling.throttle()?,
            source_policy: self.throttling.source_policy()?,
            tls: self.tls.settings()?,
            callers: self.callers.settings()?,
            status_cache_ttl: self.service.status_cache_ttl()?,
            transport: self.transport.settings()?,
            housekeeping: self.housekeeping.settings()?,
            web_listen: self.service.web_listen()?,
        })
    }
}

/// `T` as an empty command line gives it, with every environment variable
/// ignored.
fn parse_defaults<T: Args + FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults")).mut_args(|arg| arg.env(None));
    let matches = command
        .try_get_matches_from(["defaults"])
        .expect("every option has a default");
    T::from_arg_matches(&matches).expect("the matches come from T's own arguments")
}

/// `value` when `range` holds it; otherwise an error naming the variable and
/// the accepted range.
fn in_range<T: PartialOrd + Display>(
    name: &str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<T, String> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{name} must be between {} and {} (got {value})",
            range.start(),
            range.end()
        ))
    }
}

/// `value` when it is at least 1; otherwise an error naming the variable.
fn at_least_one<T: PartialOrd + From<u8> + Display>(name: &str, value: T) -> Result<T, String> {
    if value >= T::from(1) {
        Ok(value)
    } else {
        Err(format!("{name} must be at least 1 (got {value})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_settings() {
        let settings = ServeArgs::defaults().settings_with(Secrets::default());

        assert!(settings.is_ok(), "{settings:?}");
    }

    #[test]
    fn the_defaults_are_the_documented_values() {
        let args = ServeArgs::defaults();

        assert_eq!(args.service.listen, "127.0.0.1:50051".parse().unwrap());
        assert_eq!(args.database.database_url, None);
        assert_eq!(args.shutdown.shutdown_grace_secs, 20);
    }

    #[test]
    fn a_value_out_of_range_is_refused_with_the_range() {
        let refused = in_range("PACER_LINK_X", 5u64, 10..=20);

        assert_eq!(
            refused,
            Err("PACER_LINK_X must be between 10 and 20 (got 5)".into())
        );
    }

    #[test]
    fn the_serve_subcommand_parses_from_an_empty_command_line() {
        let cli = Cli::try_parse_from(["pacer-link", "serve"]);

        assert!(cli.is_ok());
    }
}
