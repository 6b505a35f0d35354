//! Imported accounts inserted in one statement per chunk and side: five
//! array parameters UNNESTed, where a VALUES list of 2,500 parameters costs
//! PostgreSQL several times as long to parse and plan.
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Row as _, Transaction};

use super::error::store_error;
use crate::store::{NewEcfAccount, NewPacerAccount, StoreError};

const INSERT_PACERS: &str = "INSERT INTO pacer_accounts \
     (username, password_hash, display_name, upgraded, created_at) \
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[]) \
     ON CONFLICT (username) DO NOTHING RETURNING username";

const INSERT_ECFS: &str = "INSERT INTO ecf_accounts \
     (court_id, login, password_hash, display_name, created_at) \
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) \
     ON CONFLICT (court_id, login) DO NOTHING RETURNING court_id, login";

/// Inserts the new ones of `accounts`; the usernames inserted.
pub async fn insert_new_pacers(
    tx: &mut Transaction<'_, Postgres>,
    accounts: &[&NewPacerAccount],
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let column = |f: fn(&NewPacerAccount) -> &str| -> Vec<String> {
        accounts.iter().map(|a| f(a).to_owned()).collect()
    };
    let rows = sqlx::query(INSERT_PACERS)
        .bind(column(|a| a.username.as_str()))
        .bind(column(|a| a.password_hash.as_str()))
        .bind(column(|a| a.display_name.as_str()))
        .bind(accounts.iter().map(|a| a.upgraded).collect::<Vec<_>>())
        .bind(vec![now; accounts.len()])
        .fetch_all(&mut **tx)
        .await
        .map_err(store_error)?;
    rows.iter()
        .map(|row| row.try_get("username").map_err(store_error))
        .collect()
}

/// Inserts the new ones of `accounts`; the (court, login) pairs inserted.
pub async fn insert_new_ecfs(
    tx: &mut Transaction<'_, Postgres>,
    accounts: &[&NewEcfAccount],
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, StoreError> {
    let column = |f: fn(&NewEcfAccount) -> &str| -> Vec<String> {
        accounts.iter().map(|a| f(a).to_owned()).collect()
    };
    let rows = sqlx::query(INSERT_ECFS)
        .bind(column(|a| a.court_id.as_str()))
        .bind(column(|a| a.login.as_str()))
        .bind(column(|a| a.password_hash.as_str()))
        .bind(column(|a| a.display_name.as_str()))
        .bind(vec![now; accounts.len()])
        .fetch_all(&mut **tx)
        .await
        .map_err(store_error)?;
    rows.iter()
        .map(|row| {
            let court = row.try_get("court_id").map_err(store_error)?;
            let login = row.try_get("login").map_err(store_error)?;
            Ok((court, login))
        })
        .collect()
}
