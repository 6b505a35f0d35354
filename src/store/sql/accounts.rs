//! Courts and accounts in SQL.
use std::sync::LazyLock;

use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::lockout::{joined_failure_columns, seen_failures};
use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::domain::{CourtId, EcfLogin, PacerUsername, environment_text};
use crate::store::{
    AccountKey, AccountStatus, AccountStore, CourtRecord, EcfAccountRecord, EcfSignIn, NewCourt,
    NewEcfAccount, NewPacerAccount, PacerAccountRecord, PacerSignIn, PasswordOwner, SignInRead,
    SignInSubject, StoreError, TotpEnrollment,
};

const INSERT_COURT: &str = "INSERT INTO courts (court_id, name, ecf_login_prefix, environment, created_at) VALUES ($1, $2, $3, $4, $5)";

const SELECT_COURT: &str =
    "SELECT court_id, name, ecf_login_prefix, environment FROM courts WHERE court_id = $1";

const INSERT_PACER_ACCOUNT: &str = "INSERT INTO pacer_accounts \
     (username, password_hash, display_name, upgraded, created_at) VALUES ($1, $2, $3, $4, $5)";

const SELECT_PACER_ACCOUNT: &str = "SELECT username, password_hash, display_name, upgraded \
     FROM pacer_accounts WHERE username = $1";

const INSERT_ECF_ACCOUNT: &str = "INSERT INTO ecf_accounts \
     (court_id, login, password_hash, display_name, created_at) VALUES ($1, $2, $3, $4, $5)";

const SELECT_ECF_ACCOUNT: &str = "SELECT court_id, login, password_hash, display_name \
     FROM ecf_accounts WHERE court_id = $1 AND login = $2";

/// The three tables share no column name, so the row decodes as each; the
/// failure row ($3, $4) spares the attempt's count a read of its own. One
/// row whether or not the account exists, so that an unknown username costs
/// the same statements as a known one.
static SELECT_PACER_SIGN_IN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT a.username, a.password_hash, a.display_name, \
         a.upgraded, a.totp_secret, a.totp_last_step, \
         l.court_id, l.ecf_login, l.pacer_username, l.linked_at, {} \
         FROM (SELECT 1 AS one) one \
         LEFT JOIN pacer_accounts a ON a.username = $2 \
         LEFT JOIN links l ON l.court_id = $1 AND l.pacer_username = a.username \
         LEFT JOIN sign_in_failures f ON f.subject_kind = $3 AND f.subject = $4",
        joined_failure_columns()
    )
});

/// A CM/ECF account with its link and its failure row ($3, $4): what
/// VerifyEcf reads, one row whether or not the account exists. The link's
/// court is the account's.
static SELECT_ECF_SIGN_IN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT a.court_id, a.login, a.password_hash, a.display_name, \
         l.ecf_login, l.pacer_username, l.linked_at, {} \
         FROM (SELECT 1 AS one) one \
         LEFT JOIN ecf_accounts a ON a.court_id = $1 AND a.login = $2 \
         LEFT JOIN links l ON l.court_id = a.court_id AND l.ecf_login = a.login \
         LEFT JOIN sign_in_failures f ON f.subject_kind = $3 AND f.subject = $4",
        joined_failure_columns()
    )
});

const ECF_ACCOUNT_STATUS: &str = "SELECT c.court_id, a.login AS account, \
     l.ecf_login, l.pacer_username, l.linked_at \
     FROM courts c \
     LEFT JOIN ecf_accounts a ON a.court_id = c.court_id AND a.login = $2 \
     LEFT JOIN links l ON l.court_id = c.court_id AND l.ecf_login = $2 \
     WHERE c.court_id = $1";

const PACER_ACCOUNT_STATUS: &str = "SELECT c.court_id, a.username AS account, \
     l.ecf_login, l.pacer_username, l.linked_at \
     FROM courts c \
     LEFT JOIN pacer_accounts a ON a.username = $2 \
     LEFT JOIN links l ON l.court_id = c.court_id AND l.pacer_username = $2 \
     WHERE c.court_id = $1";

const REPLACE_PACER_HASH: &str =
    "UPDATE pacer_accounts SET password_hash = $2 WHERE username = $1 AND password_hash = $3";

const REPLACE_ECF_HASH: &str = "UPDATE ecf_accounts SET password_hash = $3 \
     WHERE court_id = $1 AND login = $2 AND password_hash = $4";

/// Proofs made with the old hash stay proofs of the same password.
const MOVE_PROVEN_HASH: &str = "UPDATE link_flows SET ecf_proven_hash = $3 \
     WHERE court_id = $1 AND ecf_login = $2 AND ecf_proven_hash = $4 \
     AND stage = 'ecf_verified'";

#[async_trait]
impl<D> AccountStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
    Vec<u8>: Value<D::Db>,
{
    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT courts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "courts",
            code.function.name = "create_court",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn create_court(&self, court: &NewCourt) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(INSERT_COURT)
            .bind(court.id.as_str())
            .bind(court.name.as_str())
            .bind(court.ecf_login_prefix.as_str())
            .bind(environment_text(court.environment.as_ref()))
            .bind(D::time_param(chrono::Utc::now()))
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(())
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT courts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "courts",
            code.function.name = "court",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn court(&self, id: &CourtId) -> Result<Option<CourtRecord>, StoreError> {
        sqlx::query(SELECT_COURT)
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Rows::<D>::court(&row))
            .transpose()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "pacer_accounts",
            code.function.name = "create_pacer_account",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn create_pacer_account(&self, account: &NewPacerAccount) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(INSERT_PACER_ACCOUNT)
            .bind(account.username.as_str())
            .bind(account.password_hash.as_str())
            .bind(account.display_name.as_str())
            .bind(account.upgraded)
            .bind(D::time_param(chrono::Utc::now()))
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(())
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "pacer_accounts",
            code.function.name = "pacer_account",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn pacer_account(
        &self,
        username: &PacerUsername,
    ) -> Result<Option<PacerAccountRecord>, StoreError> {
        sqlx::query(SELECT_PACER_ACCOUNT)
            .bind(username.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Rows::<D>::pacer_account(&row))
            .transpose()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT ecf_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "ecf_accounts",
            code.function.name = "create_ecf_account",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn create_ecf_account(&self, account: &NewEcfAccount) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(INSERT_ECF_ACCOUNT)
            .bind(account.court_id.as_str())
            .bind(account.login.as_str())
            .bind(account.password_hash.as_str())
            .bind(account.display_name.as_str())
            .bind(D::time_param(chrono::Utc::now()))
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(())
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
            code.function.name = "ecf_account",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn ecf_account(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<Option<EcfAccountRecord>, StoreError> {
        sqlx::query(SELECT_ECF_ACCOUNT)
            .bind(court.as_str())
            .bind(login.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Rows::<D>::ecf_account(&row))
            .transpose()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "pacer_accounts",
            code.function.name = "pacer_sign_in",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn pacer_sign_in(
        &self,
        court: &CourtId,
        username: &PacerUsername,
    ) -> Result<SignInRead<PacerSignIn>, StoreError> {
        let subject = SignInSubject::pacer(username);
        let row = sqlx::query(SELECT_PACER_SIGN_IN.as_str())
            .bind(court.as_str())
            .bind(username.as_str())
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .fetch_one(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        let failures = seen_failures::<D>(&row)?;
        if Rows::<D>::column::<Option<String>>(&row, "username")?.is_none() {
            return Ok(SignInRead::unknown(failures));
        }
        let totp = match Rows::<D>::column::<Option<Vec<u8>>>(&row, "totp_secret")? {
            Some(sealed_secret) => Some(TotpEnrollment {
                sealed_secret,
                last_step: Rows::<D>::column(&row, "totp_last_step")?,
            }),
            None => None,
        };
        let found = PacerSignIn {
            account: Rows::<D>::pacer_account(&row)?,
            totp,
            link: Rows::<D>::joined_link(&row, "court_id")?,
        };
        Ok(SignInRead {
            found: Some(found),
            failures,
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
            code.function.name = "ecf_sign_in",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn ecf_sign_in(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<SignInRead<EcfSignIn>, StoreError> {
        let subject = SignInSubject::ecf(court, login);
        let row = sqlx::query(SELECT_ECF_SIGN_IN.as_str())
            .bind(court.as_str())
            .bind(login.as_str())
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .fetch_one(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        let failures = seen_failures::<D>(&row)?;
        if Rows::<D>::column::<Option<String>>(&row, "login")?.is_none() {
            return Ok(SignInRead::unknown(failures));
        }
        let found = EcfSignIn {
            account: Rows::<D>::ecf_account(&row)?,
            link: Rows::<D>::joined_link(&row, "ecf_login")?,
        };
        Ok(SignInRead {
            found: Some(found),
            failures,
        })
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "pacer_accounts",
            code.function.name = "account_status",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn account_status(
        &self,
        court: &CourtId,
        account: &AccountKey,
    ) -> Result<Option<AccountStatus>, StoreError> {
        let (sql, key) = match account {
            AccountKey::Ecf(login) => (ECF_ACCOUNT_STATUS, login.as_str()),
            AccountKey::Pacer(username) => (PACER_ACCOUNT_STATUS, username.as_str()),
        };
        let Some(row) = sqlx::query(sql)
            .bind(court.as_str())
            .bind(key)
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
        else {
            return Ok(None);
        };
        let account: Option<String> = Rows::<D>::column(&row, "account")?;
        let linked: Option<String> = Rows::<D>::column(&row, "ecf_login")?;
        Ok(Some(AccountStatus {
            exists: account.is_some(),
            link: linked.map(|_| Rows::<D>::link(&row)).transpose()?,
        }))
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "UPDATE pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "UPDATE",
            db.collection.name = "pacer_accounts",
            code.function.name = "replace_password_hash",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn replace_password_hash(
        &self,
        owner: &PasswordOwner,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_guard().await;
        let (court, login) = match owner {
            PasswordOwner::Pacer(username) => {
                let done = sqlx::query(REPLACE_PACER_HASH)
                    .bind(username.as_str())
                    .bind(new)
                    .bind(old)
                    .execute(self.pool())
                    .await
                    .map_err(traced_error::<D>)?;
                return Ok(D::rows_affected(&done) == 1);
            }
            PasswordOwner::Ecf(court, login) => (court.as_str(), login.as_str()),
        };
        // Flows first, in one transaction: a confirm waiting on their rows
        // then finds the account's new hash and the flows' new hash together.
        let mut tx = self.pool().begin().await.map_err(traced_error::<D>)?;
        for statement in [MOVE_PROVEN_HASH, REPLACE_ECF_HASH] {
            let done = sqlx::query(statement)
                .bind(court)
                .bind(login)
                .bind(new)
                .bind(old)
                .execute(&mut *tx)
                .await
                .map_err(traced_error::<D>)?;
            if statement == REPLACE_ECF_HASH && D::rows_affected(&done) != 1 {
                return Ok(false);
            }
        }
        tx.commit().await.map_err(traced_error::<D>)?;
        Ok(true)
    }
}
