//! Imported accounts inserted in one statement per chunk and side: a VALUES
//! list (5 parameters a row, 2,500 a chunk, far below SQLite's limit).
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row as _, Sqlite, Transaction};

use super::error::store_error;
use crate::store::{NewEcfAccount, NewPacerAccount, StoreError};

/// Inserts the new ones of `accounts`; the usernames inserted.
pub async fn insert_new_pacers(
    tx: &mut Transaction<'_, Sqlite>,
    accounts: &[&NewPacerAccount],
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO pacer_accounts (username, password_hash, display_name, upgraded, created_at) ",
    );
    insert.push_values(accounts, |mut row, a| {
        row.push_bind(a.username.as_str().to_owned())
            .push_bind(a.password_hash.clone())
            .push_bind(a.display_name.as_str().to_owned())
            .push_bind(a.upgraded)
            .push_bind(now.timestamp_micros());
    });
    insert.push(" ON CONFLICT (username) DO NOTHING RETURNING username");
    let rows = insert
        .build()
        .fetch_all(&mut **tx)
        .await
        .map_err(store_error)?;
    rows.iter()
        .map(|row| row.try_get("username").map_err(store_error))
        .collect()
}

/// Inserts the new ones of `accounts`; the (court, login) pairs inserted.
pub async fn insert_new_ecfs(
    tx: &mut Transaction<'_, Sqlite>,
    accounts: &[&NewEcfAccount],
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO ecf_accounts (court_id, login, password_hash, display_name, created_at) ",
    );
    insert.push_values(accounts, |mut row, a| {
        row.push_bind(a.court_id.as_str().to_owned())
            .push_bind(a.login.as_str().to_owned())
            .push_bind(a.password_hash.clone())
            .push_bind(a.display_name.as_str().to_owned())
            .push_bind(now.timestamp_micros());
    });
    insert.push(" ON CONFLICT (court_id, login) DO NOTHING RETURNING court_id, login");
    let rows = insert
        .build()
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
