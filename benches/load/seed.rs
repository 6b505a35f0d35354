//! Accounts and links written straight into the database: every row shares
//! one argon2id hash computed once, so seeding costs SQL time, not hashing.
use std::str::FromStr;

use pacer_link::store::Backend;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// The court every seeded account belongs to.
pub const COURT: &str = "cod";
/// The password of every seeded account, PACER and CM/ECF alike.
pub const PASSWORD: &str = "Bench-Filer-Password-2026";

/// A group of seeded PACER accounts, each with its CM/ECF account.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    /// PACER usernames are `{pacer}{i}`.
    pub pacer: &'static str,
    /// CM/ECF logins are `{ecf}{i}` (beginning with the court's prefix).
    pub ecf: &'static str,
}

impl Group {
    /// The `i`th PACER username.
    pub fn pacer(&self, i: usize) -> String {
        format!("{}{i}", self.pacer)
    }

    /// The `i`th CM/ECF login.
    pub fn ecf(&self, i: usize) -> String {
        format!("{}{i}", self.ecf)
    }
}

/// Accounts for the `auth` and `overload` scenarios.
pub const AUTH: Group = Group {
    pacer: "au-",
    ecf: "coau-",
};
/// The court of the `scale` scenario, at each of its two sizes.
pub const SCALE: Group = Group {
    pacer: "sc-",
    ecf: "cosc-",
};
/// The population of the `status` scenario.
pub const STATUS: Group = Group {
    pacer: "st-",
    ecf: "cost-",
};
/// Fresh pairs for the `flow` scenario.
pub const FLOW: Group = Group {
    pacer: "fl-",
    ecf: "cofl-",
};
/// Fresh pairs for the links confirmed in the `watch` scenario.
pub const WATCH: Group = Group {
    pacer: "wa-",
    ecf: "cowa-",
};

/// Fresh pairs for the links confirmed live during the `catchup` scenario.
pub const CATCHUP: Group = Group {
    pacer: "cu-",
    ecf: "cocu-",
};

/// Fresh accounts for the `timing` scenario: one per wrong-password call,
/// so that no account ever nears its lockout threshold.
pub const TIMING: Group = Group {
    pacer: "ti-",
    ecf: "coti-",
};

/// Fresh accounts for the `timing` scenario's third side: imported with an
/// MD5-crypt hash, which verifies in microseconds.
pub const TIMING_MD5: Group = Group {
    pacer: "tm-",
    ecf: "cotm-",
};

/// `openssl passwd -1 -salt saltsalt hunter2`: the timing scenario offers a
/// wrong password, so any valid MD5-crypt hash does.
pub const MD5_CRYPT: &str = "$1$saltsalt$ZliGyAN3DciDHEkDboonh/";

/// A connection pool of the bench's own to the service's database.
pub enum SeedDb {
    Postgres(sqlx::PgPool),
    Sqlite(SqlitePool),
}

impl SeedDb {
    /// Connects to `url`.
    pub async fn connect(url: &str, backend: Backend) -> anyhow::Result<Self> {
        Ok(match backend {
            Backend::Postgres => Self::Postgres(sqlx::PgPool::connect(url).await?),
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .busy_timeout(std::time::Duration::from_secs(30));
                Self::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(options)
                        .await?,
                )
            }
        })
    }

    async fn execute(&self, sql: String) -> anyhow::Result<u64> {
        let sql = sqlx::AssertSqlSafe(sql);
        Ok(match self {
            Self::Postgres(pool) => sqlx::query(sql).execute(pool).await?.rows_affected(),
            Self::Sqlite(pool) => sqlx::query(sql).execute(pool).await?.rows_affected(),
        })
    }

    /// The sequence of the newest link event.
    pub async fn last_event_sequence(&self) -> anyhow::Result<u64> {
        let sql = "SELECT last_sequence FROM link_event_counter";
        let last: i64 = match self {
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        };
        Ok(u64::try_from(last)?)
    }

    /// Accounts whose sign-in failure count is above zero, and the highest
    /// count, leaving out subjects beginning with `excluding` (the timing
    /// scenario's deliberate failures): valid sign-ins only, so any left
    /// means attempts that were counted and never given back.
    pub async fn counted_failures(&self, excluding: &[&str]) -> anyhow::Result<(i64, i64)> {
        let mut sql = "SELECT count(*), COALESCE(MAX(consecutive), 0) FROM sign_in_failures WHERE consecutive > 0".to_owned();
        for prefix in excluding {
            anyhow::ensure!(!prefix.contains('\''), "a bench prefix holds no quote");
            sql.push_str(&format!(" AND subject NOT LIKE '{prefix}%'"));
        }
        let sql = sqlx::AssertSqlSafe(sql);
        Ok(match self {
            Self::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
            Self::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
        })
    }

    /// Sign-in failure rows whose subject begins with `prefix` (a fixed
    /// bench prefix, never user input).
    pub async fn failure_rows(&self, prefix: &str) -> anyhow::Result<i64> {
        anyhow::ensure!(!prefix.contains('\''), "a bench prefix holds no quote");
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM sign_in_failures WHERE subject LIKE '{prefix}%'"
        ));
        Ok(match self {
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pool) => pool.close().await,
        }
    }

    /// How this backend writes "now", a fresh uuid and 32 random bytes.
    fn dialect(&self) -> (String, &'static str, &'static str) {
        match self {
            Self::Postgres(_) => (
                "now()".into(),
                "gen_random_uuid()",
                "uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())",
            ),
            Self::Sqlite(_) => (
                chrono::Utc::now().timestamp_micros().to_string(),
                "randomblob(16)",
                "randomblob(32)",
            ),
        }
    }

    /// `count` link events straight into the outbox (sequences 1..=count),
    /// with the counter moved past them, as years of linking leave it.
    pub async fn events(&self, count: u64) -> anyhow::Result<()> {
        let (now, uuid, _) = self.dialect();
        self.execute(format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
             INSERT INTO link_events (sequence, event_id, event_type, court_id, ecf_login, pacer_username, occurred_at) \
             SELECT i, {uuid}, 'linked', '{COURT}', 'cohist-' || i, 'hist-' || i, {now} FROM n"
        ))
        .await?;
        self.execute(format!(
            "UPDATE link_event_counter SET last_sequence = {count}"
        ))
        .await?;
        Ok(())
    }

    /// `count` audit rows of sign-ins from 500 days ago, past the default
    /// 400 days' retention: the backlog a court's first housekeeping run
    /// after years without one finds.
    pub async fn expired_audit(&self, count: u64) -> anyhow::Result<()> {
        let (rows, at) = match self {
            Self::Postgres(_) => (
                format!("generate_series(1, {count}) AS n(i)"),
                "now() - interval '500 days' + i * interval '1 millisecond'".to_owned(),
            ),
            Self::Sqlite(_) => {
                let start = (chrono::Utc::now() - chrono::Duration::days(500)).timestamp_micros();
                (
                    format!(
                        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) SELECT i FROM n)"
                    ),
                    format!("{start} + i * 1000"),
                )
            }
        };
        self.execute(format!(
            "INSERT INTO audit_events (occurred_at, rpc, court_id, subject, subject_normalized, \
             outcome, caller, caller_identity, repeat_count) \
             SELECT {at}, 'AuthenticatePacer', '{COURT}', 'old-' || (i % 100000), \
             'old-' || (i % 100000), 'OK', '10.0.0.1', 'anonymous', 1 FROM {rows}"
        ))
        .await?;
        Ok(())
    }

    /// `count` audit rows spread evenly over the past year, as a court's
    /// trail grows: the five filer calls in turn, each by one of the
    /// `population` PACER accounts of `group`, every seventh refused, from
    /// three caller identities, every thousandth by the operator `admin`.
    pub async fn audit_year(
        &self,
        count: u64,
        group: Group,
        population: usize,
    ) -> anyhow::Result<()> {
        let year_micros: i64 = 365 * 24 * 3600 * 1_000_000;
        let (rows, at) = match self {
            Self::Postgres(_) => (
                format!("generate_series(1, {count}) AS n(i)"),
                format!(
                    "now() - interval '1 year' + i * interval '{} microseconds'",
                    year_micros / count.max(1) as i64
                ),
            ),
            Self::Sqlite(_) => {
                let start = chrono::Utc::now().timestamp_micros() - year_micros;
                (
                    format!(
                        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) SELECT i FROM n)"
                    ),
                    format!("{start} + i * {}", year_micros / count.max(1) as i64),
                )
            }
        };
        let p = group.pacer;
        self.execute(format!(
            "INSERT INTO audit_events (occurred_at, rpc, court_id, subject, subject_normalized, \
             outcome, reason, caller, caller_identity, operator, repeat_count) \
             SELECT {at}, \
             CASE i % 5 WHEN 0 THEN 'AuthenticatePacer' WHEN 1 THEN 'VerifyEcf' \
               WHEN 2 THEN 'PreviewLink' WHEN 3 THEN 'ConfirmLink' ELSE 'AuthenticateFiler' END, \
             '{COURT}', '{p}' || (i % {population}), '{p}' || (i % {population}), \
             CASE WHEN i % 7 = 0 THEN 'UNAUTHENTICATED' ELSE 'OK' END, \
             CASE WHEN i % 7 = 0 THEN 'INVALID_CREDENTIALS' END, '10.0.0.1', \
             CASE i % 3 WHEN 0 THEN 'spiffe://court.example/ns/cmecf/sa/cmecf-web' \
               WHEN 1 THEN 'spiffe://court.example/ns/docketing/sa/docketing' ELSE 'anonymous' END, \
             CASE WHEN i % 1000 = 0 THEN 'admin' END, 1 FROM {rows}"
        ))
        .await?;
        Ok(())
    }

    /// The id half way down the audit trail.
    pub async fn audit_mid_id(&self) -> anyhow::Result<i64> {
        let sql = "SELECT COALESCE(MAX(audit_id), 2) / 2 FROM audit_events";
        Ok(match self {
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }

    /// Refreshes the planner's statistics after seeding, as autovacuum
    /// would soon after on a live database.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        self.execute("ANALYZE".to_owned()).await?;
        Ok(())
    }

    /// Audit rows older than `days` days.
    pub async fn audit_rows_older_than(&self, days: i64) -> anyhow::Result<i64> {
        let sql = match self {
            Self::Postgres(_) => {
                format!(
                    "SELECT count(*) FROM audit_events WHERE occurred_at < now() - interval '{days} days'"
                )
            }
            Self::Sqlite(_) => {
                let cutoff = (chrono::Utc::now() - chrono::Duration::days(days)).timestamp_micros();
                format!("SELECT count(*) FROM audit_events WHERE occurred_at < {cutoff}")
            }
        };
        let sql = sqlx::AssertSqlSafe(sql);
        Ok(match self {
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }

    /// The court the seeded accounts belong to.
    pub async fn court(&self) -> anyhow::Result<()> {
        let (now, _, _) = self.dialect();
        self.execute(format!(
            "INSERT INTO courts (court_id, name, ecf_login_prefix, created_at) \
             VALUES ('{COURT}', 'U.S. District Court, District of Colorado', 'co', {now})"
        ))
        .await?;
        Ok(())
    }

    /// `count` upgraded PACER accounts of `group`, each with a CM/ECF
    /// account; the first `linked` pairs are linked (their CM/ECF password
    /// retired, a confirmed flow behind each link, as ConfirmLink leaves it).
    pub async fn pairs(
        &self,
        group: Group,
        count: usize,
        linked: usize,
        hash: &str,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(!hash.contains('\''), "a stored hash never holds a quote");
        let (now, uuid, random32) = self.dialect();
        let (p, e) = (group.pacer, group.ecf);
        let numbers = |n: usize| {
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {n}) "
            )
        };
        let all = numbers(count);
        self.execute(format!(
            "{all}INSERT INTO pacer_accounts (username, password_hash, display_name, upgraded, created_at) \
             SELECT '{p}' || i, '{hash}', 'Bench Filer ' || i, true, {now} FROM n"
        ))
        .await?;
        self.execute(format!(
            "{all}INSERT INTO ecf_accounts (court_id, login, password_hash, display_name, created_at, retired_at) \
             SELECT '{COURT}', '{e}' || i, CASE WHEN i < {linked} THEN NULL ELSE '{hash}' END, \
                    'Bench Filer ' || i, {now}, CASE WHEN i < {linked} THEN {now} ELSE NULL END FROM n"
        ))
        .await?;
        if linked == 0 {
            return Ok(());
        }
        let some = numbers(linked);
        self.execute(format!(
            "{some}INSERT INTO link_flows (flow_id, token_hash, court_id, pacer_username, stage, ecf_login, \
                                    created_at, expires_at, confirmed_at, ecf_verified_at) \
             SELECT {uuid}, {random32}, '{COURT}', '{p}' || i, 'confirmed', '{e}' || i, {now}, {now}, {now}, {now} FROM n"
        ))
        .await?;
        self.execute(format!(
            "INSERT INTO links (court_id, ecf_login, pacer_username, linked_at, flow_id) \
             SELECT court_id, ecf_login, pacer_username, confirmed_at, flow_id FROM link_flows \
             WHERE court_id = '{COURT}' AND stage = 'confirmed' AND pacer_username LIKE '{p}%'"
        ))
        .await?;
        Ok(())
    }
}
