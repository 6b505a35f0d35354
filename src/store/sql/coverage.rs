//! Coverage in SQL: the court's kept counts, and keyset pages of accounts.
use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::domain::{CourtId, EcfLogin};
use crate::store::{CoverageCounts, CoverageStore, EcfAccountListing, LinkStateFilter, StoreError};

/// An account's failure row is keyed `court:login` (`SignInSubject::ecf`).
const JOINS: &str = "FROM ecf_accounts e \
     LEFT JOIN links l ON l.court_id = e.court_id AND l.ecf_login = e.login \
     LEFT JOIN sign_in_failures f \
     ON f.subject_kind = 'ecf' AND f.subject = e.court_id || ':' || e.login";

/// Kept per court by the triggers of migration 13, so this reads one row
/// however many accounts the court has; a court without a row has none.
const COUNT: &str = "SELECT ecf_accounts, linked, unlinked_failed FROM court_coverage \
     WHERE court_id = $1";

/// `{STATE}` is one of the fixed fragments below, never caller text.
const PAGE: &str = "SELECT e.login, e.display_name, l.pacer_username, l.linked_at, \
     f.last_failed_at {JOINS} WHERE e.court_id = $1 AND e.login > $2 {STATE} \
     ORDER BY e.login LIMIT $3";

fn state_clause(state: LinkStateFilter) -> &'static str {
    match state {
        LinkStateFilter::Any => "",
        LinkStateFilter::Linked => "AND l.ecf_login IS NOT NULL",
        LinkStateFilter::Unlinked => "AND l.ecf_login IS NULL",
    }
}

#[async_trait]
impl<D> CoverageStore for D
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
            otel.name = "SELECT court_coverage",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "court_coverage",
            code.function.name = "link_coverage",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn link_coverage(&self, court: &CourtId) -> Result<CoverageCounts, StoreError> {
        let row = sqlx::query::<D::Db>(COUNT)
            .bind(court.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        let Some(row) = row else {
            return Ok(CoverageCounts {
                ecf_accounts: 0,
                linked: 0,
                unlinked_with_failed_attempts: 0,
            });
        };
        Ok(CoverageCounts {
            ecf_accounts: Rows::<D>::column(&row, "ecf_accounts")?,
            linked: Rows::<D>::column(&row, "linked")?,
            unlinked_with_failed_attempts: Rows::<D>::column(&row, "unlinked_failed")?,
        })
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT ecf_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "ecf_accounts",
            code.function.name = "ecf_accounts",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn ecf_accounts(
        &self,
        court: &CourtId,
        state: LinkStateFilter,
        after: Option<&EcfLogin>,
        limit: u32,
    ) -> Result<Vec<EcfAccountListing>, StoreError> {
        let sql = PAGE
            .replace("{JOINS}", JOINS)
            .replace("{STATE}", state_clause(state));
        let rows = sqlx::query::<D::Db>(sqlx::AssertSqlSafe(sql))
            .bind(court.as_str())
            .bind(after.map_or("", EcfLogin::as_str))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        rows.iter()
            .map(|row| {
                let pacer: Option<String> = Rows::<D>::column(row, "pacer_username")?;
                let linked_at = D::time_column_opt(row, "linked_at")?;
                Ok(EcfAccountListing {
                    login: Rows::<D>::column(row, "login")?,
                    display_name: Rows::<D>::column(row, "display_name")?,
                    link: pacer.zip(linked_at),
                    last_failed_at: D::time_column_opt(row, "last_failed_at")?,
                })
            })
            .collect()
    }
}
