//! Conversions for ImportAccounts: a record into an account to import, or
//! the reason and field it is rejected for; the summary into the answer.
use crate::domain::{CourtId, DisplayName, EcfLogin, FieldViolation, PacerUsername, Violations};
use crate::linking::ImportSummary;
use crate::password::legacy;
use crate::proto::{self, account_record::Account};
use crate::reason;
use crate::store::{ImportAccount, NewEcfAccount, NewPacerAccount};

/// Why a record cannot be imported: a reason and the field at fault.
pub type Unreadable = (&'static str, String);

/// The account `record` describes, checked field by field; its password
/// hash must be in an accepted format.
pub fn account(record: Option<proto::AccountRecord>) -> Result<ImportAccount, Unreadable> {
    match record.and_then(|r| r.account) {
        None => Err((reason::INVALID_ARGUMENT, "record".to_owned())),
        Some(Account::Pacer(r)) => pacer(r),
        Some(Account::Ecf(r)) => ecf(r),
    }
}

fn pacer(r: proto::PacerAccountRecord) -> Result<ImportAccount, Unreadable> {
    let mut v = Violations::default();
    let username = v.check("pacer.username", PacerUsername::parse(&r.username));
    let name = v.check("pacer.display_name", DisplayName::parse(&r.display_name));
    let (username, display_name) = v.finish(|| Some((username?, name?))).map_err(first)?;
    Ok(ImportAccount::Pacer(NewPacerAccount {
        username,
        password_hash: hash(r.password_hash, "pacer.password_hash")?,
        display_name,
        upgraded: r.upgraded,
    }))
}

fn ecf(r: proto::EcfAccountRecord) -> Result<ImportAccount, Unreadable> {
    let mut v = Violations::default();
    let court = v.check("ecf.court_id", CourtId::parse(&r.court_id));
    let login = v.check("ecf.login", EcfLogin::parse(&r.login));
    let name = v.check("ecf.display_name", DisplayName::parse(&r.display_name));
    let (court_id, login, display_name) =
        v.finish(|| Some((court?, login?, name?))).map_err(first)?;
    Ok(ImportAccount::Ecf(NewEcfAccount {
        court_id,
        login,
        password_hash: hash(r.password_hash, "ecf.password_hash")?,
        display_name,
    }))
}

/// The record's first bad field.
fn first(violations: Vec<FieldViolation>) -> Unreadable {
    let field = violations.into_iter().next().map(|v| v.field);
    (reason::INVALID_ARGUMENT, field.unwrap_or_default())
}

/// The hash as given, if it is in an accepted format with bounded costs.
fn hash(raw: String, field: &str) -> Result<String, Unreadable> {
    match legacy::parse(&raw) {
        Ok(_) => Ok(raw),
        Err(_) => Err((reason::UNSUPPORTED_PASSWORD_HASH, field.to_owned())),
    }
}

/// The answer to an import that ran with `dry_run`.
pub fn response(s: ImportSummary, dry_run: bool) -> proto::ImportAccountsResponse {
    proto::ImportAccountsResponse {
        created: s.created,
        unchanged: s.unchanged,
        updated: s.updated,
        rejected: s.rejected,
        rejections: s
            .rejections
            .into_iter()
            .map(|r| proto::ImportRejection {
                index: r.index,
                reason: r.reason.to_owned(),
                field: r.field,
            })
            .collect(),
        dry_run,
    }
}
