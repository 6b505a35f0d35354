//! The help desk's reads and writes of sign-in security: an account with
//! its failure row, second factor (and its lock) and link in one statement,
//! and the unlock.
use sqlx::ColumnIndex;
use uuid::Uuid;

use super::{Dialect, Row, Value, rows::Rows};
use crate::store::lockout::FailureRow;
use crate::store::{PasswordOwner, SecurityRecord, StoreError};

/// The failure row's columns, all NULL when the account never signed in.
const FAILURE_COLUMNS: &str = "f.consecutive, f.last_failure_at, f.locked_until, f.lockouts, \
     f.hour_start, f.hour_count, f.version, f.last_success_at, f.last_failed_at";

/// Counts, not booleans, so that both backends decode them alike.
const PACER_SECURITY: &str = "SELECT \
     (SELECT COUNT(*) FROM pacer_accounts t \
      WHERE t.username = a.username AND t.totp_secret IS NOT NULL) AS mfa_enrolled, \
     (SELECT COUNT(*) FROM links l WHERE l.pacer_username = a.username) AS linked, \
     (SELECT s.locked_until FROM sign_in_failures s \
      WHERE s.subject_kind = 'second_factor' AND s.subject = a.username) AS mfa_locked_until, \
     {FAILURES} \
     FROM pacer_accounts a LEFT JOIN sign_in_failures f \
     ON f.subject_kind = 'pacer' AND f.subject = a.username WHERE a.username = $1";

/// A CM/ECF account's second factor is that of the PACER account it is
/// linked to: AuthenticateFiler signs in through PACER.
const ECF_SECURITY: &str = "SELECT \
     (SELECT COUNT(*) FROM pacer_accounts t \
      WHERE t.username = l.pacer_username AND t.totp_secret IS NOT NULL) AS mfa_enrolled, \
     (SELECT COUNT(*) FROM links k WHERE k.court_id = e.court_id AND k.ecf_login = e.login) \
     AS linked, \
     (SELECT s.locked_until FROM sign_in_failures s \
      WHERE s.subject_kind = 'second_factor' AND s.subject = l.pacer_username) \
     AS mfa_locked_until, {FAILURES} \
     FROM ecf_accounts e \
     LEFT JOIN links l ON l.court_id = e.court_id AND l.ecf_login = e.login \
     LEFT JOIN sign_in_failures f ON f.subject_kind = 'ecf' AND f.subject = $3 \
     WHERE e.court_id = $1 AND e.login = $2";

/// The hourly cap is a lock too, so it is reset with the rest.
pub const UNLOCK: &str = "UPDATE sign_in_failures SET consecutive = 0, lockouts = 0, \
     locked_until = NULL, hour_count = 0, version = version + 1 \
     WHERE subject_kind = $1 AND subject = $2";

/// The statement reading `account`'s security, and its parameters.
pub fn statement(account: &PasswordOwner) -> (sqlx::AssertSqlSafe<String>, Vec<String>) {
    let (sql, params) = match account {
        PasswordOwner::Pacer(username) => (PACER_SECURITY, vec![username.as_str().to_owned()]),
        PasswordOwner::Ecf(court, login) => (
            ECF_SECURITY,
            vec![
                court.as_str().to_owned(),
                login.as_str().to_owned(),
                crate::store::SignInSubject::ecf(court, login).subject,
            ],
        ),
    };
    let sql = sql.replace("{FAILURES}", FAILURE_COLUMNS);
    (sqlx::AssertSqlSafe(sql), params)
}

/// The record in a row `statement` returned, with its decoded failure row.
pub fn record<D>(row: &Row<D>, failures: Option<FailureRow>) -> Result<SecurityRecord, StoreError>
where
    D: Dialect,
    for<'a> &'a str: ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    Ok(SecurityRecord {
        failures,
        last_success_at: D::time_column_opt(row, "last_success_at")?,
        last_failed_at: D::time_column_opt(row, "last_failed_at")?,
        mfa_enrolled: Rows::<D>::column::<i64>(row, "mfa_enrolled")? > 0,
        linked: Rows::<D>::column::<i64>(row, "linked")? > 0,
        mfa_locked_until: D::time_column_opt(row, "mfa_locked_until")?,
    })
}
