//! The help-desk inputs: an account selector (a PACER username, or a court
//! and CM/ECF login) and an unlock's reason.
use pacer_link::linking::{LinkError, UnlockAccount};
use pacer_link::proto::{self, unlock_account_request::Account};
use pacer_link::store::PasswordOwner;
use proptest::prelude::*;

use super::models::{self as m, field};

fn fields<T>(result: &Result<T, LinkError>) -> Vec<String> {
    match result {
        Ok(_) => Vec::new(),
        Err(LinkError::InvalidArgument(v)) => v.iter().map(|v| v.field.clone()).collect(),
        Err(other) => vec![format!("not INVALID_ARGUMENT: {other:?}")],
    }
}

fn expected(checks: &[(&str, bool)]) -> Vec<String> {
    checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(f, _)| f.to_string())
        .collect()
}

proptest! {
    #[test]
    fn unlock_by_username_names_exactly_its_bad_fields(
        username in field(m::USERNAME, 70), reason in field(m::HUMAN, 510),
    ) {
        let want = expected(&[
            ("pacer_username", m::PACER_USERNAME.accepts(&username)),
            ("reason", m::human(&reason, m::UNLINK_REASON_MAX).is_some()),
        ]);
        let request = proto::UnlockAccountRequest {
            request_id: String::new(),
            account: Some(Account::PacerUsername(username.clone())),
            reason: reason.clone(),
        };
        let result = UnlockAccount::try_from(request);
        prop_assert_eq!(fields(&result), want);
        if let Ok(cmd) = result {
            let PasswordOwner::Pacer(parsed) = cmd.account else {
                return Err(TestCaseError::fail("not a PACER account"));
            };
            prop_assert_eq!(parsed.as_str(), username.to_ascii_lowercase());
            prop_assert_eq!(cmd.reason.as_str(), reason.trim());
        }
    }

    #[test]
    fn unlock_by_login_names_exactly_its_bad_fields(
        court_id in field(m::ALNUM, 20), ecf_login in field(m::LOGIN, 70),
    ) {
        let want = expected(&[
            ("ecf_account.court_id", m::COURT_ID.accepts(&court_id)),
            ("ecf_account.ecf_login", m::ECF_LOGIN.accepts(&ecf_login)),
        ]);
        let request = proto::UnlockAccountRequest {
            request_id: String::new(),
            account: Some(Account::EcfAccount(proto::EcfAccountSelector {
                court_id: court_id.clone(),
                ecf_login: ecf_login.clone(),
            })),
            reason: "ticket 4711".into(),
        };
        let result = UnlockAccount::try_from(request);
        prop_assert_eq!(fields(&result), want);
        if let Ok(cmd) = result {
            let PasswordOwner::Ecf(court, login) = cmd.account else {
                return Err(TestCaseError::fail("not a CM/ECF account"));
            };
            prop_assert_eq!(court.as_str(), court_id.to_ascii_lowercase());
            prop_assert_eq!(login.as_str(), ecf_login.to_ascii_lowercase());
        }
    }
}

#[test]
fn a_request_naming_no_account_is_refused_naming_the_selector() {
    let request = proto::GetAccountSecurityRequest { account: None };

    let result = PasswordOwner::try_from(request);

    assert_eq!(fields(&result), ["account"]);
}
