//! The PostgreSQL store: plain SQL through sqlx, uniqueness enforced by
//! constraints, the link made in one transaction.
mod error;
mod rows;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use uuid::Uuid;

use super::{
    ConfirmOutcome, Conflict, CourtRecord, EcfAccountRecord, FlowRecord, LinkRecord, NewCourt,
    NewEcfAccount, NewFlow, NewPacerAccount, PacerAccountRecord, Store, StoreError,
};
use crate::domain::{CourtId, EcfLogin, FlowTokenHash, PacerUsername};

/// The migrations for this backend, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How the pool connects and how long a caller may wait for a connection.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Upper bound on open connections.
    pub max_connections: u32,
    /// How long a call waits for a connection before failing `UNAVAILABLE`.
    /// Short on purpose: a caller is better served by a fast error it can
    /// retry than by sqlx's 30 s default while the database is down.
    pub acquire_timeout: Duration,
}

/// The PostgreSQL implementation of [`Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Opens a pool lazily: the service starts even while the database is
    /// still coming up, and each call reports `UNAVAILABLE` until it answers.
    pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| StoreError::Internal(format!("invalid database URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options.application_name("pacer-link"));
        Ok(Self { pool })
    }

    /// Applies pending migrations. sqlx takes a PostgreSQL advisory lock for
    /// the duration, so replicas starting together do not race.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => StoreError::from(inner),
            other => StoreError::Internal(other.to_string()),
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

const FLOW_COLUMNS: &str = "flow_id, court_id, pacer_username, stage, ecf_login, expires_at";

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_court(&self, court: &NewCourt) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO courts (court_id, name, ecf_login_prefix) VALUES ($1, $2, $3)")
            .bind(court.id.as_str())
            .bind(court.name.as_str())
            .bind(court.ecf_login_prefix.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn court(&self, id: &CourtId) -> Result<Option<CourtRecord>, StoreError> {
        sqlx::query("SELECT court_id, name, ecf_login_prefix FROM courts WHERE court_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::court(&row))
            .transpose()
    }

    async fn create_pacer_account(&self, account: &NewPacerAccount) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pacer_accounts (username, password_hash, display_name, upgraded) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(account.username.as_str())
        .bind(&account.password_hash)
        .bind(account.display_name.as_str())
        .bind(account.upgraded)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn pacer_account(
        &self,
        username: &PacerUsername,
    ) -> Result<Option<PacerAccountRecord>, StoreError> {
        sqlx::query(
            "SELECT username, password_hash, display_name, upgraded FROM pacer_accounts WHERE username = $1",
        )
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::pacer_account(&row))
        .transpose()
    }

    async fn create_ecf_account(&self, account: &NewEcfAccount) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ecf_accounts (court_id, login, password_hash, display_name) VALUES ($1, $2, $3, $4)",
        )
        .bind(account.court_id.as_str())
        .bind(account.login.as_str())
        .bind(&account.password_hash)
        .bind(account.display_name.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn ecf_account(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<Option<EcfAccountRecord>, StoreError> {
        sqlx::query(
            "SELECT court_id, login, password_hash, display_name FROM ecf_accounts \
             WHERE court_id = $1 AND login = $2",
        )
        .bind(court.as_str())
        .bind(login.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::ecf_account(&row))
        .transpose()
    }

    async fn link_of_pacer(
        &self,
        court: &CourtId,
        pacer: &PacerUsername,
    ) -> Result<Option<LinkRecord>, StoreError> {
        sqlx::query(
            "SELECT court_id, ecf_login, pacer_username, linked_at FROM links \
             WHERE court_id = $1 AND pacer_username = $2",
        )
        .bind(court.as_str())
        .bind(pacer.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::link(&row))
        .transpose()
    }

    async fn link_of_ecf(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<Option<LinkRecord>, StoreError> {
        sqlx::query(
            "SELECT court_id, ecf_login, pacer_username, linked_at FROM links \
             WHERE court_id = $1 AND ecf_login = $2",
        )
        .bind(court.as_str())
        .bind(login.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::link(&row))
        .transpose()
    }

    async fn link_of_flow(&self, flow_id: Uuid) -> Result<Option<LinkRecord>, StoreError> {
        sqlx::query(
            "SELECT court_id, ecf_login, pacer_username, linked_at FROM links WHERE flow_id = $1",
        )
        .bind(flow_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::link(&row))
        .transpose()
    }

    async fn create_flow(&self, flow: &NewFlow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_flows (flow_id, token_hash, court_id, pacer_username, client_code, \
             stage, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'pacer_authenticated', $6, $7)",
        )
        .bind(flow.id)
        .bind(flow.token_hash.0.as_slice())
        .bind(flow.court_id.as_str())
        .bind(flow.pacer_username.as_str())
        .bind(flow.client_code.as_deref())
        .bind(flow.created_at)
        .bind(flow.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn live_flow(
        &self,
        token: &FlowTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FlowRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FLOW_COLUMNS} FROM link_flows WHERE token_hash = $1 AND expires_at > $2"
        )))
        .bind(token.0.as_slice())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::flow(&row))
        .transpose()
    }

    async fn record_ecf_verified(
        &self,
        flow_id: Uuid,
        login: &EcfLogin,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE link_flows SET stage = 'ecf_verified', ecf_login = $2 WHERE flow_id = $1 \
             AND stage IN ('pacer_authenticated', 'ecf_verified') AND expires_at > $3",
        )
        .bind(flow_id)
        .bind(login.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn confirm_link(
        &self,
        flow: &FlowRecord,
        ecf_login: &EcfLogin,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Taking the flow row first serialises concurrent confirms of one
        // flow: the losers wait here, then see it confirmed and match nothing.
        let moved = sqlx::query(
            "UPDATE link_flows SET stage = 'confirmed', confirmed_at = $3 WHERE flow_id = $1 \
             AND stage = 'ecf_verified' AND ecf_login = $2 AND expires_at > $3",
        )
        .bind(flow.id)
        .bind(ecf_login.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(ConfirmOutcome::FlowChanged);
        }
        let existing = sqlx::query_scalar::<_, String>(
            "SELECT pacer_username FROM links WHERE court_id = $1 AND (ecf_login = $2 OR pacer_username = $3)",
        )
        .bind(flow.court_id.as_str())
        .bind(ecf_login.as_str())
        .bind(flow.pacer_username.as_str())
        .fetch_all(&mut *tx)
        .await?;
        if existing.iter().any(|p| p == flow.pacer_username.as_str()) {
            return Err(StoreError::Conflict(Conflict::PacerAccountLinked));
        }
        if !existing.is_empty() {
            return Err(StoreError::Conflict(Conflict::EcfAccountLinked));
        }
        // A flow racing this one past the check above is stopped by the
        // unique constraints, which map to the same conflicts.
        let link = sqlx::query(
            "INSERT INTO links (court_id, ecf_login, pacer_username, linked_at, flow_id) \
             VALUES ($1, $2, $3, $4, $5) RETURNING court_id, ecf_login, pacer_username, linked_at",
        )
        .bind(flow.court_id.as_str())
        .bind(ecf_login.as_str())
        .bind(flow.pacer_username.as_str())
        .bind(now)
        .bind(flow.id)
        .fetch_one(&mut *tx)
        .await?;
        let link = rows::link(&link)?;
        sqlx::query(
            "UPDATE ecf_accounts SET password_hash = NULL, retired_at = $3 WHERE court_id = $1 AND login = $2",
        )
        .bind(flow.court_id.as_str())
        .bind(ecf_login.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        append_event(&mut tx, "linked", &link, now).await?;
        tx.commit().await?;
        Ok(ConfirmOutcome::Linked(link))
    }
}

/// Appends an outbox event. The counter row is locked until commit, so it is
/// taken last to keep that lock short.
async fn append_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    event_type: &str,
    link: &LinkRecord,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sequence: i64 = sqlx::query_scalar(
        "UPDATE link_event_counter SET last_sequence = last_sequence + 1 RETURNING last_sequence",
    )
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO link_events (sequence, event_id, event_type, court_id, ecf_login, pacer_username, occurred_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(sequence)
    .bind(Uuid::new_v4())
    .bind(event_type)
    .bind(link.court_id.as_str())
    .bind(link.ecf_login.as_str())
    .bind(link.pacer_username.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
