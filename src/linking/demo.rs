//! The court's training environment from its linking instructions, so an
//! operator can walk the whole flow at once, and an account for each legacy
//! password-hash format an import accepts. Loading twice changes nothing.
use super::{AdminService, CreateCourt, LinkError};
use crate::domain::{CourtEnvironment, CourtId, CourtName, EcfLoginPrefix};
use crate::reason;
use crate::store::{ImportAccount, ImportMode};

/// The demo court.
pub const COURT_ID: &str = "cod";
/// The upgraded demo PACER account and its password.
pub const PACER_USERNAME: &str = "hhumbert";
/// Password of [`PACER_USERNAME`].
pub const PACER_PASSWORD: &str = "Humbert-Train-2021!";
/// A PACER account that has not been upgraded.
pub const LEGACY_PACER_USERNAME: &str = "cquilty";
/// Password of [`LEGACY_PACER_USERNAME`].
pub const LEGACY_PACER_PASSWORD: &str = "Quilty-Legacy-2021!";
/// The demo CM/ECF account and its password.
pub const ECF_LOGIN: &str = "coattorneytwo";
/// Password of [`ECF_LOGIN`].
pub const ECF_PASSWORD: &str = "AttorneyTwo-Ecf-2021!";

/// The demo's imported accounts, one pair per legacy hash format: the PACER
/// username, the CM/ECF login and the password both share.
pub const IMPORTED: [(&str, &str, &str); 8] = [
    ("legacymd5", "colegacymd5", "Legacy-md5-2021!"),
    ("legacysha256", "colegacysha256", "Legacy-sha256-2021!"),
    ("legacysha512", "colegacysha512", "Legacy-sha512-2021!"),
    ("legacybcrypt", "colegacybcrypt", "Legacy-bcrypt-2021!"),
    ("legacypbkdf2", "colegacypbkdf2", "Legacy-pbkdf2-2021!"),
    (
        "legacypbkdf2sha512",
        "colegacypbkdf2sha512",
        "Legacy-pbkdf2sha512-2021!",
    ),
    ("legacyscrypt", "colegacyscrypt", "Legacy-scrypt-2021!"),
    ("legacyargon2i", "colegacyargon2i", "Legacy-argon2i-2021!"),
];

/// The demo's accounts as an import file (`demo/accounts.jsonl`): the
/// court's training accounts, and a pair per legacy hash format.
pub const ACCOUNTS_JSONL: &str = include_str!("../../demo/accounts.jsonl");

/// Another replica loading the demo at the same moment may create a row
/// between our check and our insert: that row is the same demo data.
fn created_or_present<T>(result: Result<T, LinkError>) -> Result<(), LinkError> {
    match result {
        Ok(_) | Err(LinkError::AlreadyExists(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

fn parsed<T>(value: Result<T, String>) -> Result<T, LinkError> {
    value.map_err(|why| LinkError::Internal(format!("demo data does not parse: {why}").into()))
}

/// Creates the demo court if it is missing, then imports `accounts` (read
/// from [`ACCOUNTS_JSONL`]) through the same code as `ImportAccounts`.
/// Accounts already there are left alone, also when they have changed since
/// (a password rehashed at sign-in, a CM/ECF password retired by linking).
pub async fn load(admin: &AdminService, accounts: Vec<ImportAccount>) -> Result<(), LinkError> {
    let court_id = parsed(CourtId::parse(COURT_ID))?;
    if admin.store().court(&court_id).await?.is_none() {
        created_or_present(
            admin
                .create_court(CreateCourt {
                    court_id: court_id.clone(),
                    name: parsed(CourtName::parse(
                        "U.S. District Court, District of Colorado",
                    ))?,
                    ecf_login_prefix: parsed(EcfLoginPrefix::parse("co"))?,
                    environment: parsed(CourtEnvironment::parse("train"))?,
                })
                .await,
        )?;
    }
    let mut importer = admin.importer(ImportMode::default());
    for (index, account) in accounts.into_iter().enumerate() {
        importer.add(index as u64, account).await?;
    }
    let summary = importer.finish().await?;
    let changed_since = [reason::CONFLICT, reason::ECF_ACCOUNT_ALREADY_LINKED];
    if let Some(bad) = summary
        .rejections
        .iter()
        .find(|r| !changed_since.contains(&r.reason))
    {
        return Err(LinkError::Internal(
            format!(
                "demo account {} refused: {} ({})",
                bad.index, bad.reason, bad.field
            )
            .into(),
        ));
    }
    Ok(())
}
