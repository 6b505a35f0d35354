//! Courts and accounts in SQL.
use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::domain::{CourtId, EcfLogin, PacerUsername, environment_text};
use crate::store::{
    AccountKey, AccountStatus, AccountStore, CourtRecord, EcfAccountRecord, NewCourt,
    NewEcfAccount, NewPacerAccount, PacerAccountRecord, PacerSignIn, PasswordOwner, StoreError,
    TotpEnrollment,
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

/// The two tables share no column name, so the row decodes as both.
const SELECT_PACER_SIGN_IN: &str = "SELECT a.username, a.password_hash, a.display_name, \
     a.upgraded, a.totp_secret, a.totp_last_step, \
     l.court_id, l.ecf_login, l.pacer_username, l.linked_at \
     FROM pacer_accounts a LEFT JOIN links l ON l.court_id = $1 AND l.pacer_username = a.username \
     WHERE a.username = $2";

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
    ) -> Result<Option<PacerSignIn>, StoreError> {
        let row = sqlx::query(SELECT_PACER_SIGN_IN)
            .bind(court.as_str())
            .bind(username.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        let Some(row) = row else { return Ok(None) };
        let totp = match Rows::<D>::column::<Option<Vec<u8>>>(&row, "totp_secret")? {
            Some(sealed_secret) => Some(TotpEnrollment {
                sealed_secret,
                last_step: Rows::<D>::column(&row, "totp_last_step")?,
            }),
            None => None,
        };
        let linked = Rows::<D>::column::<Option<String>>(&row, "court_id")?.is_some();
        Ok(Some(PacerSignIn {
            account: Rows::<D>::pacer_account(&row)?,
            totp,
            link: if linked {
                Some(Rows::<D>::link(&row)?)
            } else {
                None
            },
        }))
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
