//! Many link statuses in SQL: one statement per kind of account, the
//! accounts bound as one JSON array.
use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::domain::CourtId;
use crate::store::{AccountKey, AccountStatus, StatusStore, StoreError};

const COURT_EXISTS: &str = "SELECT court_id FROM courts WHERE court_id = $1";

/// A link needs both accounts (its foreign keys), so an account not found
/// here has none. The court is `$1`; the accounts follow, as a JSON array
/// in `$2` ([`Dialect::TEXTS_OF_JSON_2`]).
const ECF_STATUSES: &str = "SELECT a.login AS account, l.court_id, l.ecf_login, \
     l.pacer_username, l.linked_at FROM ecf_accounts a \
     LEFT JOIN links l ON l.court_id = a.court_id AND l.ecf_login = a.login \
     WHERE a.court_id = $1 AND a.login IN";

const PACER_STATUSES: &str = "SELECT a.username AS account, l.court_id, l.ecf_login, \
     l.pacer_username, l.linked_at FROM pacer_accounts a \
     LEFT JOIN links l ON l.pacer_username = a.username AND l.court_id = $1 \
     WHERE a.username IN";

#[async_trait]
impl<D> StatusStore for D
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
    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT links",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "links",
            code.function.name = "account_statuses",
            accounts = accounts.len(),
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn account_statuses(
        &self,
        court: &CourtId,
        accounts: &[AccountKey],
    ) -> Result<Option<Vec<AccountStatus>>, StoreError> {
        let exists = sqlx::query(COURT_EXISTS)
            .bind(court.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        if exists.is_none() {
            return Ok(None);
        }
        let ecf: Vec<&str> = accounts
            .iter()
            .filter_map(|a| match a {
                AccountKey::Ecf(login) => Some(login.as_str()),
                AccountKey::Pacer(_) => None,
            })
            .collect();
        let pacer: Vec<&str> = accounts
            .iter()
            .filter_map(|a| match a {
                AccountKey::Pacer(username) => Some(username.as_str()),
                AccountKey::Ecf(_) => None,
            })
            .collect();
        let (ecf_found, pacer_found) = (
            found(self, ECF_STATUSES, court, &ecf).await?,
            found(self, PACER_STATUSES, court, &pacer).await?,
        );
        Ok(Some(
            accounts
                .iter()
                .map(|a| {
                    let found = match a {
                        AccountKey::Ecf(login) => ecf_found.get(login.as_str()),
                        AccountKey::Pacer(username) => pacer_found.get(username.as_str()),
                    };
                    found.cloned().unwrap_or(AccountStatus {
                        exists: false,
                        link: None,
                    })
                })
                .collect(),
        ))
    }
}

/// The accounts of `keys` that exist, with their links: `head` followed by
/// the dialect's list of `$2`.
async fn found<D>(
    store: &D,
    head: &str,
    court: &CourtId,
    keys: &[&str],
) -> Result<HashMap<String, AccountStatus>, StoreError>
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
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let list = serde_json::to_string(keys)
        .map_err(|e| StoreError::Internal(format!("an account list does not encode: {e}")))?;
    let sql = sqlx::AssertSqlSafe(format!("{head} ({})", D::TEXTS_OF_JSON_2));
    let rows = sqlx::query(sql)
        .bind(court.as_str())
        .bind(list)
        .fetch_all(store.pool())
        .await
        .map_err(traced_error::<D>)?;
    rows.iter()
        .map(|row| {
            let account: String = Rows::<D>::column(row, "account")?;
            let linked: Option<String> = Rows::<D>::column(row, "ecf_login")?;
            let link = linked.map(|_| Rows::<D>::link(row)).transpose()?;
            Ok((account, AccountStatus { exists: true, link }))
        })
        .collect()
}
