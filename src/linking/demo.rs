//! The court's training environment from its linking instructions, so an
//! operator can walk the whole flow at once. Loading twice changes nothing.
use super::{AdminService, CreateCourt, CreateEcfAccount, CreatePacerAccount, LinkError};
use crate::domain::{
    CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix, NewPassword, PacerUsername,
};

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

/// Creates whatever part of the demo data is missing; existing rows are left alone.
pub async fn load(admin: &AdminService) -> Result<(), LinkError> {
    let court_id = parsed(CourtId::parse(COURT_ID))?;
    if admin.store().court(&court_id).await?.is_none() {
        created_or_present(
            admin
                .create_court(CreateCourt {
                    court_id: court_id.clone(),
                    name: parsed(CourtName::parse(
                        "U.S. District Court, District of Colorado (train)",
                    ))?,
                    ecf_login_prefix: parsed(EcfLoginPrefix::parse("co"))?,
                })
                .await,
        )?;
    }
    for (username, password, name, upgraded) in [
        (PACER_USERNAME, PACER_PASSWORD, "Humbert Humbert", true),
        (
            LEGACY_PACER_USERNAME,
            LEGACY_PACER_PASSWORD,
            "Clare Quilty",
            false,
        ),
    ] {
        let username = parsed(PacerUsername::parse(username))?;
        if admin.store().pacer_account(&username).await?.is_none() {
            created_or_present(
                admin
                    .create_pacer_account(CreatePacerAccount {
                        username,
                        password: parsed(NewPassword::parse(password))?,
                        display_name: parsed(DisplayName::parse(name))?,
                        upgraded,
                    })
                    .await,
            )?;
        }
    }
    let login = parsed(EcfLogin::parse(ECF_LOGIN))?;
    if admin
        .store()
        .ecf_account(&court_id, &login)
        .await?
        .is_none()
    {
        created_or_present(
            admin
                .create_ecf_account(CreateEcfAccount {
                    court_id,
                    login,
                    password: parsed(NewPassword::parse(ECF_PASSWORD))?,
                    display_name: parsed(DisplayName::parse("ColoradoTest AttorneyTwo"))?,
                })
                .await,
        )?;
    }
    Ok(())
}
