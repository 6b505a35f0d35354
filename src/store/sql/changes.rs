//! The transactions that make, undo and guard links, each appending to the
//! event outbox in the same transaction.
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::rows::{LINK_COLUMNS, Rows};
use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value};
use crate::domain::{CourtId, EcfLogin};
use crate::store::{
    ConfirmOutcome, Conflict, FlowRecord, LinkEventKind, ResetOutcome, StoreError, UnlinkOutcome,
};

/// Moves the flow and, in the same statement, says what either of its
/// accounts is already linked to in its court (each side of a link is
/// unique, so each subquery finds at most one).
const CONFIRM_FLOW: &str = "UPDATE link_flows SET stage = 'confirmed', confirmed_at = $3 \
     WHERE flow_id = $1 AND stage = 'ecf_verified' AND ecf_login = $2 AND expires_at > $3 \
     RETURNING \
     (SELECT l.ecf_login FROM links l \
      WHERE l.court_id = link_flows.court_id \
      AND l.pacer_username = link_flows.pacer_username) AS pacer_linked_to, \
     (SELECT l.pacer_username FROM links l \
      WHERE l.court_id = link_flows.court_id \
      AND l.ecf_login = link_flows.ecf_login) AS ecf_linked_to";

const RETIRE_PROVEN_PASSWORD: &str = "UPDATE ecf_accounts \
     SET password_hash = NULL, retired_at = $3 WHERE court_id = $1 AND login = $2 \
     AND password_hash = (SELECT ecf_proven_hash FROM link_flows WHERE flow_id = $4)";

const RETIRE_PASSWORD: &str = "UPDATE ecf_accounts SET password_hash = NULL, retired_at = $3 \
     WHERE court_id = $1 AND login = $2";

const INSERT_UNLINK: &str = "INSERT INTO unlinks (unlink_id, court_id, ecf_login, \
     pacer_username, linked_at, reason, unlinked_at, event_sequence) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const LOCK_ECF_ACCOUNT: &str =
    "UPDATE ecf_accounts SET login = login WHERE court_id = $1 AND login = $2";

const COUNT_ECF_LINKS: &str = "SELECT count(*) FROM links WHERE court_id = $1 AND ecf_login = $2";

const SET_ECF_PASSWORD: &str = "UPDATE ecf_accounts \
     SET password_hash = $3, retired_at = NULL, password_set_at = $4 \
     WHERE court_id = $1 AND login = $2";

fn insert_link() -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        "INSERT INTO links (court_id, ecf_login, pacer_username, linked_at, flow_id) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {LINK_COLUMNS}"
    ))
}

fn delete_link() -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        "DELETE FROM links WHERE court_id = $1 AND ecf_login = $2 RETURNING {LINK_COLUMNS}"
    ))
}

/// The link-changing transactions of dialect `D`.
pub struct LinkChanges<D>(PhantomData<D>);

impl<D> LinkChanges<D>
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    usize: ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    /// See [`crate::store::FlowStore::confirm_link`].
    pub async fn confirm(
        store: &D,
        flow: &FlowRecord,
        ecf_login: &EcfLogin,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome, StoreError> {
        let _writer = store.write_guard().await;
        let mut tx = store.pool().begin().await.map_err(traced_error::<D>)?;
        // Moving the flow first takes its row lock, which serialises
        // concurrent confirms of one flow: the losers wait, then find it
        // confirmed and match nothing.
        let moved = sqlx::query(CONFIRM_FLOW)
            .bind(flow.id)
            .bind(ecf_login.as_str())
            .bind(D::time_param(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        let Some(moved) = moved else {
            return Ok(ConfirmOutcome::FlowChanged);
        };
        let pacer_linked_to: Option<String> = Rows::<D>::column(&moved, "pacer_linked_to")?;
        let ecf_linked_to: Option<String> = Rows::<D>::column(&moved, "ecf_linked_to")?;
        if pacer_linked_to.is_some() {
            return Err(StoreError::Conflict(Conflict::PacerAccountLinked));
        }
        if ecf_linked_to.is_some() {
            return Err(StoreError::Conflict(Conflict::EcfAccountLinked));
        }
        // A flow racing this one past the check above is stopped by the
        // unique constraints, which map to the same conflicts.
        let row = sqlx::query(insert_link())
            .bind(flow.court_id.as_str())
            .bind(ecf_login.as_str())
            .bind(flow.pacer_username.as_str())
            .bind(D::time_param(now))
            .bind(flow.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        let link = Rows::<D>::link(&row)?;
        // Retire the password only if it is still the one this flow proved:
        // a reset or an unlink since VerifyEcf voids the proof.
        let retired = sqlx::query(RETIRE_PROVEN_PASSWORD)
            .bind(flow.court_id.as_str())
            .bind(ecf_login.as_str())
            .bind(D::time_param(now))
            .bind(flow.id)
            .execute(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        if D::rows_affected(&retired) == 0 {
            return Ok(ConfirmOutcome::ProofStale);
        }
        D::append_event(&mut tx, LinkEventKind::Linked, &link, now).await?;
        tx.commit().await.map_err(traced_error::<D>)?;
        store.after_event_commit();
        Ok(ConfirmOutcome::Linked(link))
    }

    /// See [`crate::store::FlowStore::unlink`].
    pub async fn unlink(
        store: &D,
        court: &CourtId,
        login: &EcfLogin,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<UnlinkOutcome, StoreError> {
        let _writer = store.write_guard().await;
        let mut tx = store.pool().begin().await.map_err(traced_error::<D>)?;
        let removed = sqlx::query(delete_link())
            .bind(court.as_str())
            .bind(login.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        let Some(removed) = removed else {
            return Ok(UnlinkOutcome::NotLinked);
        };
        let link = Rows::<D>::link(&removed)?;
        // Linking retired the password already; this keeps it so even if a
        // reset slipped in, so the old credentials stay dead.
        sqlx::query(RETIRE_PASSWORD)
            .bind(court.as_str())
            .bind(login.as_str())
            .bind(D::time_param(now))
            .execute(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        let sequence = D::append_event(&mut tx, LinkEventKind::Unlinked, &link, now).await?;
        sqlx::query(INSERT_UNLINK)
            .bind(Uuid::new_v4())
            .bind(link.court_id.as_str())
            .bind(link.ecf_login.as_str())
            .bind(link.pacer_username.as_str())
            .bind(D::time_param(link.linked_at))
            .bind(reason)
            .bind(D::time_param(now))
            .bind(sequence)
            .execute(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        tx.commit().await.map_err(traced_error::<D>)?;
        store.after_event_commit();
        Ok(UnlinkOutcome::Unlinked { link, sequence })
    }

    /// See [`crate::store::FlowStore::reset_ecf_password`].
    pub async fn reset_ecf_password(
        store: &D,
        court: &CourtId,
        login: &EcfLogin,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ResetOutcome, StoreError> {
        let _writer = store.write_guard().await;
        let mut tx = store.pool().begin().await.map_err(traced_error::<D>)?;
        // Taking the account's row lock first serialises this with a
        // ConfirmLink of the same account (which updates that row), so the
        // link check below cannot miss a link committed meanwhile.
        let found = sqlx::query(LOCK_ECF_ACCOUNT)
            .bind(court.as_str())
            .bind(login.as_str())
            .execute(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        if D::rows_affected(&found) == 0 {
            return Ok(ResetOutcome::NotFound);
        }
        let links: i64 = sqlx::query_scalar(COUNT_ECF_LINKS)
            .bind(court.as_str())
            .bind(login.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        if links > 0 {
            return Ok(ResetOutcome::Linked);
        }
        sqlx::query(SET_ECF_PASSWORD)
            .bind(court.as_str())
            .bind(login.as_str())
            .bind(password_hash)
            .bind(D::time_param(now))
            .execute(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        tx.commit().await.map_err(traced_error::<D>)?;
        Ok(ResetOutcome::Reset)
    }
}
