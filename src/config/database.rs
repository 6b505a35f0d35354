//! Where the database is and how to use it.
use std::time::Duration;

use clap::Args;

use super::{at_least_one, secrets::secret_file};
use crate::store::{Backend, DEFAULT_SQLITE_URL, PoolSettings};

/// Where the database is and how to use it.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseArgs {
    /// postgres://user@host:5432/db for PostgreSQL, or sqlite:path / sqlite::memory:
    /// for the embedded store [default: sqlite://pacer-link.db]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Most database connections this process opens (at least 1).
    #[arg(long, env = "PACER_LINK_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// How long a call may wait for a database connection before failing
    /// UNAVAILABLE (at least 1).
    #[arg(long, env = "PACER_LINK_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 1000)]
    pub db_acquire_timeout_ms: u64,
}

impl DatabaseArgs {
    /// The configured URL (from `DATABASE_URL` or `DATABASE_URL_FILE`), or
    /// the embedded default; checked for a known scheme.
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
    pub fn pool(&self) -> Result<PoolSettings, String> {
        Ok(PoolSettings {
            max_connections: at_least_one(
                "PACER_LINK_DB_MAX_CONNECTIONS",
                self.db_max_connections,
            )?,
            acquire_timeout: Duration::from_millis(at_least_one(
                "PACER_LINK_DB_ACQUIRE_TIMEOUT_MS",
                self.db_acquire_timeout_ms,
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> DatabaseArgs {
        super::super::parse_defaults()
    }

    #[test]
    fn the_default_pool_has_sixteen_connections_and_waits_a_second() {
        let pool = args().pool().unwrap();

        assert_eq!(pool.max_connections, 16);
        assert_eq!(pool.acquire_timeout, Duration::from_secs(1));
    }

    #[test]
    fn a_pool_without_connections_is_refused() {
        let refused = DatabaseArgs {
            db_max_connections: 0,
            ..args()
        }
        .pool();

        assert!(
            refused
                .unwrap_err()
                .contains("PACER_LINK_DB_MAX_CONNECTIONS")
        );
    }

    #[test]
    fn a_zero_acquire_timeout_is_refused() {
        let refused = DatabaseArgs {
            db_acquire_timeout_ms: 0,
            ..args()
        }
        .pool();

        assert!(
            refused
                .unwrap_err()
                .contains("PACER_LINK_DB_ACQUIRE_TIMEOUT_MS")
        );
    }

    #[test]
    fn a_url_of_an_unknown_scheme_is_refused() {
        let refused = DatabaseArgs {
            database_url: Some("mysql://db/pacer".into()),
            ..args()
        }
        .url();

        assert!(refused.unwrap_err().contains("DATABASE_URL"));
    }
}
