//! Imported accounts in SQL, a chunk in one transaction: every new account
//! inserted by one statement per side (the dialect's own: arrays on
//! PostgreSQL, a VALUES list on SQLite), then each one that was not new
//! compared and, if allowed, replaced with a compare-and-set.
use async_trait::async_trait;
use std::collections::HashSet;

use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Transaction, Type};
use uuid::Uuid;

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::store::{
    ImportAccount, ImportMode, ImportResult, ImportStore, NewEcfAccount, NewPacerAccount,
    StoreError,
};

const SELECT_PACER: &str =
    "SELECT password_hash, display_name, upgraded FROM pacer_accounts WHERE username = $1";

/// Only over what was just compared: a change meanwhile is not overwritten.
const REPLACE_PACER: &str = "UPDATE pacer_accounts \
     SET password_hash = $2, display_name = $3, upgraded = $4 \
     WHERE username = $1 AND password_hash = $5 AND display_name = $6 AND upgraded = $7";

/// A count, not a boolean, so that both backends decode it alike.
const SELECT_ECF: &str = "SELECT e.password_hash, e.display_name, \
     (SELECT COUNT(*) FROM links l WHERE l.court_id = e.court_id AND l.ecf_login = e.login) \
     AS linked FROM ecf_accounts e WHERE e.court_id = $1 AND e.login = $2";

/// A new password voids proofs of the old one: a flow compares the hash it
/// proved with the stored one at confirmation.
const REPLACE_ECF: &str = "UPDATE ecf_accounts \
     SET password_hash = $3, display_name = $4, password_set_at = $7 \
     WHERE court_id = $1 AND login = $2 AND password_hash = $5 AND display_name = $6 \
     AND NOT EXISTS (SELECT 1 FROM links l WHERE l.court_id = $1 AND l.ecf_login = $2)";

#[async_trait]
impl<D> ImportStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    Option<String>: for<'q> Encode<'q, D::Db>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            code.function.name = "import_accounts",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn import_accounts(
        &self,
        accounts: &[ImportAccount],
        mode: ImportMode,
    ) -> Result<Vec<ImportResult>, StoreError> {
        let _writer = self.write_guard().await;
        let mut tx = self.pool().begin().await.map_err(traced_error::<D>)?;
        let created = insert_new::<D>(&mut tx, accounts).await?;
        let mut results = Vec::with_capacity(accounts.len());
        for (account, created) in accounts.iter().zip(created) {
            let result = match account {
                _ if created => ImportResult::Created,
                ImportAccount::Pacer(a) => import_pacer::<D>(&mut tx, a, mode).await?,
                ImportAccount::Ecf(a) => import_ecf::<D>(&mut tx, a, mode).await?,
            };
            results.push(result);
        }
        if mode.dry_run {
            tx.rollback().await.map_err(traced_error::<D>)?;
        } else {
            tx.commit().await.map_err(traced_error::<D>)?;
        }
        Ok(results)
    }
}

/// Inserts every account of the chunk that is new, in one statement per
/// side; which were. Of records repeating a key only the first can be new:
/// the rest are compared with it like any stored account.
async fn insert_new<D>(
    tx: &mut Transaction<'_, D::Db>,
    accounts: &[ImportAccount],
) -> Result<Vec<bool>, StoreError>
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    let now = chrono::Utc::now();
    let mut created = vec![false; accounts.len()];
    let (pacer, ecf): (Vec<_>, Vec<_>) = accounts
        .iter()
        .enumerate()
        .partition(|(_, a)| matches!(a, ImportAccount::Pacer(_)));
    let pacer: Vec<_> = pacer
        .into_iter()
        .filter_map(|(i, a)| match a {
            ImportAccount::Pacer(p) => Some((i, p)),
            ImportAccount::Ecf(_) => None,
        })
        .collect();
    if !pacer.is_empty() {
        let rows: Vec<_> = pacer.iter().map(|(_, a)| *a).collect();
        let mut new: HashSet<String> = D::insert_new_pacers(tx, &rows, now)
            .await?
            .into_iter()
            .collect();
        for (i, a) in pacer {
            created[i] = new.remove(a.username.as_str());
        }
    }
    let ecf: Vec<_> = ecf
        .into_iter()
        .filter_map(|(i, a)| match a {
            ImportAccount::Ecf(e) => Some((i, e)),
            ImportAccount::Pacer(_) => None,
        })
        .collect();
    if !ecf.is_empty() {
        let rows: Vec<_> = ecf.iter().map(|(_, a)| *a).collect();
        let mut new: HashSet<(String, String)> = D::insert_new_ecfs(tx, &rows, now)
            .await?
            .into_iter()
            .collect();
        for (i, a) in ecf {
            let key = (a.court_id.as_str().to_owned(), a.login.as_str().to_owned());
            created[i] = new.remove(&key);
        }
    }
    Ok(created)
}

/// A PACER account already stored: the same, differing, or replaced.
async fn import_pacer<D>(
    tx: &mut Transaction<'_, D::Db>,
    a: &NewPacerAccount,
    mode: ImportMode,
) -> Result<ImportResult, StoreError>
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    let row = sqlx::query::<D::Db>(SELECT_PACER)
        .bind(a.username.as_str())
        .fetch_one(&mut **tx)
        .await
        .map_err(traced_error::<D>)?;
    let hash: String = Rows::<D>::column(&row, "password_hash")?;
    let name: String = Rows::<D>::column(&row, "display_name")?;
    let upgraded: bool = Rows::<D>::column(&row, "upgraded")?;
    let same = hash == a.password_hash && name == a.display_name.as_str() && upgraded == a.upgraded;
    if same {
        return Ok(ImportResult::Unchanged);
    }
    if !mode.update_existing {
        return Ok(ImportResult::Differs);
    }
    let replaced = sqlx::query::<D::Db>(REPLACE_PACER)
        .bind(a.username.as_str())
        .bind(a.password_hash.as_str())
        .bind(a.display_name.as_str())
        .bind(a.upgraded)
        .bind(hash)
        .bind(name)
        .bind(upgraded)
        .execute(&mut **tx)
        .await
        .map_err(traced_error::<D>)?;
    Ok(if D::rows_affected(&replaced) == 1 {
        ImportResult::Updated
    } else {
        ImportResult::Differs
    })
}

/// A CM/ECF account already stored: the same, differing, linked, or replaced.
async fn import_ecf<D>(
    tx: &mut Transaction<'_, D::Db>,
    a: &NewEcfAccount,
    mode: ImportMode,
) -> Result<ImportResult, StoreError>
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    Option<String>: for<'q> Encode<'q, D::Db>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    let row = sqlx::query::<D::Db>(SELECT_ECF)
        .bind(a.court_id.as_str())
        .bind(a.login.as_str())
        .fetch_one(&mut **tx)
        .await
        .map_err(traced_error::<D>)?;
    let hash: Option<String> = Rows::<D>::column(&row, "password_hash")?;
    let name: String = Rows::<D>::column(&row, "display_name")?;
    let linked = Rows::<D>::column::<i64>(&row, "linked")? > 0;
    let same_name = name == a.display_name.as_str();
    if linked {
        // Linking retired the legacy password on purpose.
        return Ok(if same_name {
            ImportResult::Unchanged
        } else {
            ImportResult::Linked
        });
    }
    if same_name && hash.as_deref() == Some(a.password_hash.as_str()) {
        return Ok(ImportResult::Unchanged);
    }
    if !mode.update_existing {
        return Ok(ImportResult::Differs);
    }
    let replaced = sqlx::query::<D::Db>(REPLACE_ECF)
        .bind(a.court_id.as_str())
        .bind(a.login.as_str())
        .bind(a.password_hash.as_str())
        .bind(a.display_name.as_str())
        .bind(hash)
        .bind(name)
        .bind(D::time_param(chrono::Utc::now()))
        .execute(&mut **tx)
        .await
        .map_err(traced_error::<D>)?;
    Ok(if D::rows_affected(&replaced) == 1 {
        ImportResult::Updated
    } else {
        ImportResult::Differs
    })
}
