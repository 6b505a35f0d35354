//! Command line and environment. Every flag has an environment variable;
//! secrets come from the environment only, never from flags (which any user
//! on the host can read in the process list).
use std::{net::SocketAddr, time::Duration};

use clap::{Args, Parser, Subcommand};

use crate::caller::SourcePolicy;
use crate::events::EventSettings;
use crate::mfa::TotpKey;
use crate::password::HashParams;
use crate::store::{Backend, DEFAULT_SQLITE_URL, LockoutPolicy, PoolSettings};
use crate::throttle::ThrottleSettings;

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
}

/// Where the database is and how to use it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// postgres://user@host:5432/db for PostgreSQL, or sqlite:path / sqlite::memory:
    /// for the embedded store [default: sqlite://pacer-link.db]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Most database connections this process opens.
    #[arg(long, env = "PACER_LINK_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// How long a call may wait for a database connection before failing UNAVAILABLE.
    #[arg(long, env = "PACER_LINK_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 1000)]
    pub db_acquire_timeout_ms: u64,
}

/// `serve` options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address of the gRPC port.
    #[arg(long, env = "PACER_LINK_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Load the court's training data (court "cod", hhumbert, coattorneytwo); idempotent.
    #[arg(long, env = "PACER_LINK_DEMO")]
    pub demo: bool,
    /// Do not apply migrations at start-up (when a separate job runs `migrate`).
    #[arg(long, env = "PACER_LINK_SKIP_MIGRATIONS")]
    pub skip_migrations: bool,
    /// How long a flow token stays valid, in seconds.
    #[arg(long, env = "PACER_LINK_FLOW_TTL_SECS", default_value_t = 600)]
    pub flow_ttl_secs: u64,
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
    /// How long a cached GetLinkStatus answer may be kept, in seconds; the
    /// event stream invalidates entries within milliseconds, this bounds a
    /// replica that cannot read it. Long enough that a population asked
    /// every few minutes stays cached. 0 turns the cache off.
    #[arg(long, env = "PACER_LINK_STATUS_CACHE_SECS", default_value_t = 300)]
    pub status_cache_secs: u64,
    /// Sign-ins that may wait for or hold a hashing thread; more are refused
    /// at once with RESOURCE_EXHAUSTED. 0 means twice the hashing threads,
    /// which keeps an admitted call's wait under one hash time.
    #[arg(long, env = "PACER_LINK_HASH_QUEUE_DEPTH", default_value_t = 0)]
    pub hash_queue_depth: usize,
    /// Failed sign-in attempts refilled per minute for each source address
    /// (IPv4 address or IPv6 /64); 0 turns per-source throttling off.
    #[arg(
        long,
        env = "PACER_LINK_SOURCE_ATTEMPTS_PER_MINUTE",
        default_value_t = 30
    )]
    pub source_attempts_per_minute: u32,
    /// Failed sign-in attempts a quiet source may make at once.
    #[arg(long, env = "PACER_LINK_SOURCE_BURST", default_value_t = 20)]
    pub source_burst: u32,
    /// Take the caller's address from the first x-forwarded-for hop: only
    /// behind a proxy or mesh gateway that always sets it.
    #[arg(long, env = "PACER_LINK_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// PEM certificate chain for TLS on the gRPC port (with the key file);
    /// plaintext when unset, e.g. behind a mesh that provides mTLS.
    #[arg(long, env = "PACER_LINK_TLS_CERT_FILE")]
    pub tls_cert_file: Option<std::path::PathBuf>,
    /// PEM private key of that certificate.
    #[arg(long, env = "PACER_LINK_TLS_KEY_FILE")]
    pub tls_key_file: Option<std::path::PathBuf>,
    /// PEM CA bundle: when set, every client must present a certificate
    /// it signed (mTLS).
    #[arg(long, env = "PACER_LINK_TLS_CLIENT_CA_FILE")]
    pub tls_client_ca_file: Option<std::path::PathBuf>,
    /// Largest request message accepted, in bytes; larger ones are refused
    /// before they are decoded.
    #[arg(long, env = "PACER_LINK_MAX_REQUEST_BYTES", default_value_t = 64 * 1024)]
    pub max_request_bytes: usize,
    /// Consecutive failed sign-ins that lock an account.
    #[arg(long, env = "PACER_LINK_LOCKOUT_THRESHOLD", default_value_t = 10)]
    pub lockout_threshold: u32,
    /// The first lock's length in seconds; each further lock doubles it.
    #[arg(long, env = "PACER_LINK_LOCKOUT_BASE_SECS", default_value_t = 60)]
    pub lockout_base_secs: u64,
    /// The longest lock, in seconds.
    #[arg(long, env = "PACER_LINK_LOCKOUT_MAX_SECS", default_value_t = 900)]
    pub lockout_max_secs: u64,
    /// Failures are forgotten after this many seconds without one.
    #[arg(long, env = "PACER_LINK_LOCKOUT_FORGET_SECS", default_value_t = 43_200)]
    pub lockout_forget_secs: u64,
    /// Most failed sign-ins counted per account per hour; beyond it the account is locked until the hour ends.
    #[arg(long, env = "PACER_LINK_LOCKOUT_MAX_PER_HOUR", default_value_t = 100)]
    pub lockout_max_per_hour: u32,
    /// Address of the Prometheus metrics endpoint (`/metrics`); off when unset.
    #[arg(long, env = "PACER_LINK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// How often the event outbox is read without a wake-up, in milliseconds.
    #[arg(long, env = "PACER_LINK_EVENT_POLL_MS", default_value_t = 1000)]
    pub event_poll_ms: u64,
    /// Events buffered per WatchLinkEvents stream before a consumer that
    /// cannot keep up is ended (it resumes from its cursor).
    #[arg(long, env = "PACER_LINK_EVENT_STREAM_BUFFER", default_value_t = 1024)]
    pub event_stream_buffer: usize,
    /// After SIGTERM, how long to keep serving while health reports
    /// NOT_SERVING, so load balancers stop sending new calls first.
    #[arg(long, env = "PACER_LINK_SHUTDOWN_DELAY_MS", default_value_t = 0)]
    pub shutdown_delay_ms: u64,
    /// After that, how long in-flight calls may take to finish before the
    /// process exits anyway (keep delay + grace under the pod's grace period).
    #[arg(long, env = "PACER_LINK_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// What happens after SIGTERM.
#[derive(Debug, Clone, Copy)]
pub struct ShutdownSettings {
    /// Serve on, reporting NOT_SERVING, for this long.
    pub delay: Duration,
    /// Then wait at most this long for in-flight calls.
    pub grace: Duration,
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
    /// The admin bearer token; `None` refuses every admin call.
    pub admin_token: Option<String>,
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
    /// Longest life of a cached link status; zero turns the cache off.
    pub status_cache_ttl: Duration,
}

/// TLS material, read at start-up. `Debug` leaves the key out.
#[derive(Clone)]
pub struct TlsSettings {
    /// PEM certificate chain.
    pub cert_pem: Vec<u8>,
    /// PEM private key.
    pub key_pem: Vec<u8>,
    /// PEM CA bundle for client certificates (mTLS), if required.
    pub client_ca_pem: Option<Vec<u8>>,
}

impl ServeArgs {
    fn tls(&self) -> Result<Option<TlsSettings>, String> {
        let read = |name: &str, path: &std::path::Path| {
            std::fs::read(path).map_err(|e| format!("{name}: cannot read {}: {e}", path.display()))
        };
        match (&self.tls_cert_file, &self.tls_key_file) {
            (None, None) if self.tls_client_ca_file.is_some() => Err(
                "PACER_LINK_TLS_CLIENT_CA_FILE needs PACER_LINK_TLS_CERT_FILE and PACER_LINK_TLS_KEY_FILE".into(),
            ),
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(TlsSettings {
                cert_pem: read("PACER_LINK_TLS_CERT_FILE", cert)?,
                key_pem: read("PACER_LINK_TLS_KEY_FILE", key)?,
                client_ca_pem: self
                    .tls_client_ca_file
                    .as_deref()
                    .map(|ca| read("PACER_LINK_TLS_CLIENT_CA_FILE", ca))
                    .transpose()?,
            })),
            _ => Err("set both PACER_LINK_TLS_CERT_FILE and PACER_LINK_TLS_KEY_FILE, or neither".into()),
        }
    }
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

/// The environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "PACER_LINK_ADMIN_TOKEN";
/// The environment variable holding the TOTP sealing key (64 hex digits).
pub const TOTP_KEY_ENV: &str = "PACER_LINK_TOTP_KEY";
const MIN_ADMIN_TOKEN_LEN: usize = 16;

impl DatabaseArgs {
    /// The configured URL, or the embedded default; checked for a known scheme.
    pub fn url(&self) -> Result<String, String> {
        let from_file = secret_file("DATABASE_URL")?;
        let url = match (
            self.database_url.clone().filter(|u| !u.is_empty()),
            from_file,
        ) {
            (Some(_), Some(_)) => {
                return Err("set DATABASE_URL or DATABASE_URL_FILE, not both".into());
            }
            (Some(url), None) | (None, Some(url)) => url,
            (None, None) => DEFAULT_SQLITE_URL.to_owned(),
        };
        Backend::of(&url)?;
        Ok(url)
    }

    /// The pool settings these options describe.
    pub fn pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.db_max_connections.max(1),
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms.max(1)),
        }
    }
}

impl ServeArgs {
    fn lockout(&self) -> Result<LockoutPolicy, String> {
        if self.lockout_threshold == 0 || self.lockout_max_per_hour == 0 {
            return Err("PACER_LINK_LOCKOUT_THRESHOLD and PACER_LINK_LOCKOUT_MAX_PER_HOUR must be at least 1".into());
        }
        if self.lockout_base_secs == 0 || self.lockout_base_secs > self.lockout_max_secs {
            return Err(
                "PACER_LINK_LOCKOUT_BASE_SECS must be between 1 and PACER_LINK_LOCKOUT_MAX_SECS"
                    .into(),
            );
        }
        // Bounded so that time arithmetic on them cannot overflow.
        const ONE_YEAR: u64 = 365 * 24 * 3600;
        if self.lockout_max_secs > ONE_YEAR || self.lockout_forget_secs > ONE_YEAR {
            return Err(
                "PACER_LINK_LOCKOUT_MAX_SECS and PACER_LINK_LOCKOUT_FORGET_SECS must be at most a year"
                    .into(),
            );
        }
        Ok(LockoutPolicy {
            threshold: self.lockout_threshold,
            base_lock: Duration::from_secs(self.lockout_base_secs),
            max_lock: Duration::from_secs(self.lockout_max_secs),
            forget_after: Duration::from_secs(self.lockout_forget_secs.max(1)),
            max_per_hour: self.lockout_max_per_hour,
        })
    }

    /// Validates the options and reads the secrets (admin token, TOTP key)
    /// from the environment or their `_FILE`s; the error names the setting at fault.
    pub fn settings(&self) -> Result<Settings, String> {
        let admin_token = secret_from_env(ADMIN_TOKEN_ENV)?;
        let totp_key = secret_from_env(TOTP_KEY_ENV)?
            .map(|hex| TotpKey::from_hex(&hex).map_err(|e| format!("{TOTP_KEY_ENV}: {e}")))
            .transpose()?;
        let hash_params =
            HashParams::new(self.argon2_m_cost, self.argon2_t_cost, self.argon2_p_cost)
                .map_err(|e| format!("PACER_LINK_ARGON2_*: {e}"))?;
        if self.shutdown_grace_secs == 0
            || self.shutdown_delay_ms / 1000 + self.shutdown_grace_secs > 28
        {
            return Err(
                "PACER_LINK_SHUTDOWN_DELAY_MS + PACER_LINK_SHUTDOWN_GRACE_SECS must be between 1 and 28 seconds \
                 (under Kubernetes' 30 s default grace period)"
                    .into(),
            );
        }
        if self.flow_ttl_secs == 0 || self.flow_ttl_secs > 3600 {
            return Err("PACER_LINK_FLOW_TTL_SECS must be between 1 and 3600".into());
        }
        let admin_token = admin_token.filter(|t| !t.is_empty());
        if admin_token
            .as_ref()
            .is_some_and(|t| t.len() < MIN_ADMIN_TOKEN_LEN)
        {
            return Err(format!(
                "{ADMIN_TOKEN_ENV} must be at least {MIN_ADMIN_TOKEN_LEN} characters"
            ));
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let hash_concurrency = if self.hash_concurrency == 0 {
            cores
        } else {
            self.hash_concurrency
        };
        Ok(Settings {
            listen: self.listen,
            database_url: self.database.url()?,
            pool: self.database.pool(),
            migrate: !self.skip_migrations,
            demo: self.demo,
            flow_ttl: Duration::from_secs(self.flow_ttl_secs),
            hash_params,
            hash_concurrency,
            hash_queue_depth: if self.hash_queue_depth == 0 {
                2 * hash_concurrency
            } else {
                self.hash_queue_depth.max(hash_concurrency)
            },
            throttle: ThrottleSettings {
                per_minute: self.source_attempts_per_minute,
                burst: self.source_burst.max(1),
                max_sources: 100_000,
            },
            source_policy: if self.trust_forwarded_for {
                SourcePolicy::FirstForwardedHop
            } else {
                SourcePolicy::Peer
            },
            totp_key,
            tls: self.tls()?,
            status_cache_ttl: Duration::from_secs(self.status_cache_secs.min(3600)),
            admin_token,
            metrics_listen: self.metrics_listen,
            lockout: self.lockout()?,
            max_request_bytes: self.max_request_bytes.clamp(1024, 4 << 20),
            shutdown: ShutdownSettings {
                delay: Duration::from_millis(self.shutdown_delay_ms),
                grace: Duration::from_secs(self.shutdown_grace_secs),
            },
            events: EventSettings {
                poll_interval: Duration::from_millis(self.event_poll_ms.clamp(10, 60_000)),
                listen: true,
                stream_buffer: self.event_stream_buffer.clamp(16, 1 << 20),
                stall_timeout: Duration::from_secs(10),
            },
        })
    }
}

/// A secret from `NAME` or from the file named by `NAME_FILE` (a mounted
/// Kubernetes Secret); a trailing newline in the file is ignored. Setting
/// both is an error, so a stale variable cannot silently win.
pub fn secret_from_env(name: &str) -> Result<Option<String>, String> {
    let direct = std::env::var(name).ok().filter(|v| !v.is_empty());
    match (direct, secret_file(name)?) {
        (Some(_), Some(_)) => Err(format!("set {name} or {name}_FILE, not both")),
        (value, None) | (None, value) => Ok(value),
    }
}

fn secret_file(name: &str) -> Result<Option<String>, String> {
    let Some(path) = std::env::var_os(format!("{name}_FILE")).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{name}_FILE: cannot read {}: {e}",
            std::path::Path::new(&path).display()
        )
    })?;
    let value = text.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        return Err(format!(
            "{name}_FILE: {} is empty",
            std::path::Path::new(&path).display()
        ));
    }
    Ok(Some(value))
}
