//! Decoding rows into records; a value that fails to parse is a corrupt row.
use sqlx::{Row, postgres::PgRow};

use super::error::corrupt;
use crate::domain::{CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix, PacerUsername};
use crate::store::{
    CourtRecord, EcfAccountRecord, FlowRecord, FlowStage, LinkRecord, PacerAccountRecord,
    StoreError,
};

fn parsed<T>(
    row: &PgRow,
    column: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, StoreError> {
    let raw: String = row.try_get(column)?;
    parse(&raw).map_err(|why| corrupt(column, why))
}

pub(super) fn court(row: &PgRow) -> Result<CourtRecord, StoreError> {
    Ok(CourtRecord {
        id: parsed(row, "court_id", CourtId::parse)?,
        name: parsed(row, "name", CourtName::parse)?,
        ecf_login_prefix: parsed(row, "ecf_login_prefix", EcfLoginPrefix::parse)?,
    })
}

pub(super) fn pacer_account(row: &PgRow) -> Result<PacerAccountRecord, StoreError> {
    Ok(PacerAccountRecord {
        username: parsed(row, "username", PacerUsername::parse)?,
        password_hash: row.try_get("password_hash")?,
        display_name: parsed(row, "display_name", DisplayName::parse)?,
        upgraded: row.try_get("upgraded")?,
    })
}

pub(super) fn ecf_account(row: &PgRow) -> Result<EcfAccountRecord, StoreError> {
    Ok(EcfAccountRecord {
        court_id: parsed(row, "court_id", CourtId::parse)?,
        login: parsed(row, "login", EcfLogin::parse)?,
        password_hash: row.try_get("password_hash")?,
        display_name: parsed(row, "display_name", DisplayName::parse)?,
    })
}

pub(super) fn link(row: &PgRow) -> Result<LinkRecord, StoreError> {
    Ok(LinkRecord {
        court_id: parsed(row, "court_id", CourtId::parse)?,
        ecf_login: parsed(row, "ecf_login", EcfLogin::parse)?,
        pacer_username: parsed(row, "pacer_username", PacerUsername::parse)?,
        linked_at: row.try_get("linked_at")?,
    })
}

pub(super) fn flow(row: &PgRow) -> Result<FlowRecord, StoreError> {
    let stage: String = row.try_get("stage")?;
    let ecf_login: Option<String> = row.try_get("ecf_login")?;
    let stage = match (stage.as_str(), ecf_login) {
        ("pacer_authenticated", _) => FlowStage::PacerAuthenticated,
        ("ecf_verified", Some(login)) => FlowStage::EcfVerified(
            EcfLogin::parse(&login).map_err(|why| corrupt("ecf_login", why))?,
        ),
        ("confirmed", _) => FlowStage::Confirmed,
        (other, _) => return Err(corrupt("stage", format!("unexpected stage {other:?}"))),
    };
    Ok(FlowRecord {
        id: row.try_get("flow_id")?,
        court_id: parsed(row, "court_id", CourtId::parse)?,
        pacer_username: parsed(row, "pacer_username", PacerUsername::parse)?,
        stage,
        expires_at: row.try_get("expires_at")?,
    })
}
