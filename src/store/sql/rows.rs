//! Rows as the shared SQL reads them back into records.
use std::marker::PhantomData;

use sqlx::{ColumnIndex, Row as _};
use uuid::Uuid;

use super::traced_error;
use super::{Dialect, Row, Value};
use crate::domain::{
    CourtEnvironment, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix, PacerUsername,
};
use crate::store::{
    CourtRecord, EcfAccountRecord, FlowRecord, FlowStage, LinkEventKind, LinkEventRecord,
    LinkRecord, PacerAccountRecord, StoreError,
};

/// The columns of a link, in the order every statement returns them.
pub const LINK_COLUMNS: &str = "court_id, ecf_login, pacer_username, linked_at";

/// A stored value of `column` as a domain type: one that no longer parses
/// is the store's fault, not the caller's.
fn parsed<T>(
    column: &str,
    raw: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, StoreError> {
    parse(raw).map_err(|why| StoreError::Internal(format!("stored {column} does not parse: {why}")))
}

/// Reads the records of dialect `D` from its rows.
pub struct Rows<D>(PhantomData<D>);

impl<D> Rows<D>
where
    D: Dialect,
    for<'a> &'a str: ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    /// One column.
    pub fn column<T>(row: &Row<D>, column: &str) -> Result<T, StoreError>
    where
        T: for<'r> sqlx::Decode<'r, D::Db> + sqlx::Type<D::Db>,
    {
        row.try_get(column).map_err(traced_error::<D>)
    }

    /// A text column that must parse as a domain type.
    pub fn parse<T>(
        row: &Row<D>,
        column: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<T, StoreError> {
        let raw: String = Self::column(row, column)?;
        parsed(column, &raw, parse)
    }

    /// A nullable text column that must parse as a domain type when set.
    pub fn parse_opt<T>(
        row: &Row<D>,
        column: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, StoreError> {
        let raw: Option<String> = Self::column(row, column)?;
        raw.map(|raw| parsed(column, &raw, parse)).transpose()
    }

    /// A court.
    pub fn court(row: &Row<D>) -> Result<CourtRecord, StoreError> {
        Ok(CourtRecord {
            id: Self::parse(row, "court_id", CourtId::parse)?,
            name: Self::parse(row, "name", CourtName::parse)?,
            ecf_login_prefix: Self::parse(row, "ecf_login_prefix", EcfLoginPrefix::parse)?,
            environment: Self::parse(row, "environment", CourtEnvironment::parse)?,
        })
    }

    /// A PACER account.
    pub fn pacer_account(row: &Row<D>) -> Result<PacerAccountRecord, StoreError> {
        Ok(PacerAccountRecord {
            username: Self::parse(row, "username", PacerUsername::parse)?,
            password_hash: Self::column(row, "password_hash")?,
            display_name: Self::parse(row, "display_name", DisplayName::parse)?,
            upgraded: Self::column(row, "upgraded")?,
        })
    }

    /// A CM/ECF account.
    pub fn ecf_account(row: &Row<D>) -> Result<EcfAccountRecord, StoreError> {
        Ok(EcfAccountRecord {
            court_id: Self::parse(row, "court_id", CourtId::parse)?,
            login: Self::parse(row, "login", EcfLogin::parse)?,
            password_hash: Self::column(row, "password_hash")?,
            display_name: Self::parse(row, "display_name", DisplayName::parse)?,
        })
    }

    /// A link, from the [`LINK_COLUMNS`].
    pub fn link(row: &Row<D>) -> Result<LinkRecord, StoreError> {
        Ok(LinkRecord {
            court_id: Self::parse(row, "court_id", CourtId::parse)?,
            ecf_login: Self::parse(row, "ecf_login", EcfLogin::parse)?,
            pacer_username: Self::parse(row, "pacer_username", PacerUsername::parse)?,
            linked_at: D::time_column(row, "linked_at")?,
        })
    }

    /// A left-joined link: `None` when its non-null column `present` is NULL.
    pub fn joined_link(row: &Row<D>, present: &str) -> Result<Option<LinkRecord>, StoreError> {
        if Self::column::<Option<String>>(row, present)?.is_none() {
            return Ok(None);
        }
        Self::link(row).map(Some)
    }

    /// A flow.
    pub fn flow(row: &Row<D>) -> Result<FlowRecord, StoreError> {
        let stage: String = Self::column(row, "stage")?;
        let stage = match stage.as_str() {
            "pacer_authenticated" => FlowStage::PacerAuthenticated,
            "ecf_verified" => {
                FlowStage::EcfVerified(Self::parse(row, "ecf_login", EcfLogin::parse)?)
            }
            "confirmed" => FlowStage::Confirmed,
            other => {
                return Err(StoreError::Internal(format!(
                    "unexpected flow stage {other:?}"
                )));
            }
        };
        Ok(FlowRecord {
            id: Self::column(row, "flow_id")?,
            court_id: Self::parse(row, "court_id", CourtId::parse)?,
            pacer_username: Self::parse(row, "pacer_username", PacerUsername::parse)?,
            stage,
            expires_at: D::time_column(row, "expires_at")?,
        })
    }

    /// A link event.
    pub fn event(row: &Row<D>) -> Result<LinkEventRecord, StoreError> {
        Ok(LinkEventRecord {
            sequence: Self::column(row, "sequence")?,
            event_id: Self::column(row, "event_id")?,
            kind: Self::parse(row, "event_type", LinkEventKind::parse)?,
            court_id: Self::parse(row, "court_id", CourtId::parse)?,
            ecf_login: Self::parse(row, "ecf_login", EcfLogin::parse)?,
            pacer_username: Self::parse(row, "pacer_username", PacerUsername::parse)?,
            occurred_at: D::time_column(row, "occurred_at")?,
        })
    }
}
