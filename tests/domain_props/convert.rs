//! Proto requests become commands only when every field parses; otherwise the
//! `InvalidArgument` names exactly the bad fields, in the proto's order.
use pacer_link::linking::{
    AuthenticateFiler, AuthenticatePacer, CreateCourt, CreateEcfAccount, CreatePacerAccount,
    LinkError, ResetEcfPassword, StatusQuery, StatusSubject, Unlink, VerifyEcf,
};
use pacer_link::proto::{self, get_link_status_request::Subject};
use proptest::prelude::*;

use super::models::{self as m, field};

/// The field names whose check failed, in order.
fn expected(checks: &[(&str, bool)]) -> Vec<String> {
    checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(f, _)| f.to_string())
        .collect()
}

/// The fields a conversion named; empty on success.
fn named<T>(result: &Result<T, LinkError>) -> Result<Vec<String>, TestCaseError> {
    match result {
        Ok(_) => Ok(Vec::new()),
        Err(LinkError::InvalidArgument(violations)) => {
            prop_assert!(!violations.is_empty(), "an empty violation list");
            for v in violations {
                prop_assert!(
                    !v.description.is_empty(),
                    "{:?} has no description",
                    v.field
                );
            }
            Ok(violations.iter().map(|v| v.field.clone()).collect())
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "not INVALID_ARGUMENT: {other:?}"
        ))),
    }
}

/// Whether any violation's description repeats `secret`.
fn echoes<T>(result: &Result<T, LinkError>, secret: &str) -> bool {
    match result {
        Err(LinkError::InvalidArgument(violations)) => {
            secret.chars().count() > 40 && violations.iter().any(|v| v.description.contains(secret))
        }
        _ => false,
    }
}

fn court_id() -> BoxedStrategy<String> {
    field(m::ALNUM, 16)
}
fn username() -> BoxedStrategy<String> {
    field(m::USERNAME, 64)
}
fn ecf_login() -> BoxedStrategy<String> {
    field(m::LOGIN, 64)
}
fn password() -> BoxedStrategy<String> {
    field(m::PRINTABLE, 256)
}
fn token() -> BoxedStrategy<String> {
    field(m::TOKEN, 43)
}
fn otp_code() -> BoxedStrategy<String> {
    prop_oneof![Just(String::new()), field("0-9", 6)].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn authenticate_pacer_names_exactly_its_bad_fields(
        court_id in court_id(), username in username(), password in password(),
        client_code in field(m::PRINTABLE, 32), otp_code in otp_code(),
    ) {
        let want = expected(&[
            ("court_id", m::COURT_ID.accepts(&court_id)),
            ("username", m::PACER_USERNAME.accepts(&username)),
            ("password", m::password(&password)),
            ("client_code", m::client_code(&client_code)),
            ("otp_code", m::otp_code(&otp_code)),
        ]);
        let request = proto::AuthenticatePacerRequest {
            court_id: court_id.clone(), username: username.clone(),
            password: password.clone(), client_code: client_code.clone(),
            otp_code: otp_code.clone(),
        };
        let result = AuthenticatePacer::try_from(request.clone());
        prop_assert_eq!(named(&result)?, want);
        prop_assert!(!echoes(&result, &password));
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.court_id.as_str(), court_id.to_ascii_lowercase());
            prop_assert_eq!(cmd.username.as_str(), username.to_ascii_lowercase());
            prop_assert_eq!(cmd.password.expose(), password.as_bytes());
            prop_assert_eq!(cmd.otp_code.as_ref().map(|c| &c.expose()[..]), (!otp_code.is_empty()).then_some(otp_code.as_bytes()));
            prop_assert_eq!(cmd.client_code.as_deref().unwrap_or(""), client_code.as_str());
            let other = proto::AuthenticatePacerRequest { password: "another password".into(), ..request };
            let other = AuthenticatePacer::try_from(other).unwrap();
            prop_assert_eq!(format!("{:?}", cmd), format!("{:?}", other));
        }
    }

    #[test]
    fn verify_ecf_names_exactly_its_bad_fields(
        flow_token in token(), ecf_login in ecf_login(), ecf_password in password(),
    ) {
        let want = expected(&[
            ("flow_token", m::flow_token(&flow_token)),
            ("ecf_login", m::ECF_LOGIN.accepts(&ecf_login)),
            ("ecf_password", m::password(&ecf_password)),
        ]);
        let request = proto::VerifyEcfRequest {
            flow_token: flow_token.clone(), ecf_login: ecf_login.clone(), ecf_password: ecf_password.clone(),
        };
        let result = VerifyEcf::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        prop_assert!(!echoes(&result, &ecf_password));
        prop_assert!(!echoes(&result, &flow_token));
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.flow_token.expose(), flow_token.as_str());
            prop_assert_eq!(cmd.ecf_login.as_str(), ecf_login.to_ascii_lowercase());
            prop_assert_eq!(cmd.ecf_password.expose(), ecf_password.as_bytes());
            let shown = format!("{:?}", cmd);
            prop_assert!(!shown.contains(flow_token.as_str()));
        }
    }

    #[test]
    fn authenticate_filer_names_exactly_its_bad_fields(
        court_id in court_id(), username in username(), password in password(),
        otp_code in otp_code(),
    ) {
        let want = expected(&[
            ("court_id", m::COURT_ID.accepts(&court_id)),
            ("username", m::PACER_USERNAME.accepts(&username)),
            ("password", m::password(&password)),
            ("otp_code", m::otp_code(&otp_code)),
        ]);
        let request = proto::AuthenticateFilerRequest {
            court_id: court_id.clone(), username: username.clone(), password: password.clone(),
            otp_code: otp_code.clone(),
        };
        let result = AuthenticateFiler::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        prop_assert!(!echoes(&result, &password));
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.court_id.as_str(), court_id.to_ascii_lowercase());
            prop_assert_eq!(cmd.username.as_str(), username.to_ascii_lowercase());
            prop_assert_eq!(cmd.password.expose(), password.as_bytes());
        }
    }

    #[test]
    fn get_link_status_names_exactly_its_bad_fields(
        court_id in court_id(),
        subject in prop_oneof![
            Just(None),
            ecf_login().prop_map(|l| Some(Subject::EcfLogin(l))),
            username().prop_map(|u| Some(Subject::PacerUsername(u))),
        ],
    ) {
        let subject_check = match &subject {
            None => ("subject", false),
            Some(Subject::EcfLogin(l)) => ("ecf_login", m::ECF_LOGIN.accepts(l)),
            Some(Subject::PacerUsername(u)) => ("pacer_username", m::PACER_USERNAME.accepts(u)),
        };
        let want = expected(&[("court_id", m::COURT_ID.accepts(&court_id)), subject_check]);
        let request = proto::GetLinkStatusRequest { court_id: court_id.clone(), subject: subject.clone() };
        let result = StatusQuery::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        if let Ok(query) = result {
            prop_assert_eq!(query.court_id.as_str(), court_id.to_ascii_lowercase());
            match (query.subject, subject) {
                (StatusSubject::Ecf(l), Some(Subject::EcfLogin(raw))) => {
                    prop_assert_eq!(l.as_str(), raw.to_ascii_lowercase())
                }
                (StatusSubject::Pacer(u), Some(Subject::PacerUsername(raw))) => {
                    prop_assert_eq!(u.as_str(), raw.to_ascii_lowercase())
                }
                (got, sent) => prop_assert!(false, "{:?} parsed from {:?}", got, sent),
            }
        }
    }

    #[test]
    fn create_court_names_exactly_its_bad_fields(
        court_id in court_id(), name in field(m::HUMAN, 200), prefix in field(m::ALNUM, 8),
    ) {
        let want = expected(&[
            ("court_id", m::COURT_ID.accepts(&court_id)),
            ("name", m::human(&name, m::COURT_NAME_MAX).is_some()),
            ("ecf_login_prefix", m::ECF_LOGIN_PREFIX.accepts(&prefix)),
        ]);
        let request = proto::CreateCourtRequest {
            court_id: court_id.clone(), name: name.clone(), ecf_login_prefix: prefix.clone(),
            environment: String::new(),
        };
        let result = CreateCourt::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.court_id.as_str(), court_id.to_ascii_lowercase());
            prop_assert_eq!(cmd.name.as_str(), name.trim());
            prop_assert_eq!(cmd.ecf_login_prefix.as_str(), prefix.to_ascii_lowercase());
        }
    }

    #[test]
    fn create_pacer_account_names_exactly_its_bad_fields(
        username in username(), password in password(), display_name in field(m::HUMAN, 128),
        upgraded in any::<bool>(),
    ) {
        let want = expected(&[
            ("username", m::PACER_USERNAME.accepts(&username)),
            ("password", m::new_password(&password)),
            ("display_name", m::human(&display_name, m::DISPLAY_NAME_MAX).is_some()),
        ]);
        let request = proto::CreatePacerAccountRequest {
            username: username.clone(), password: password.clone(),
            display_name: display_name.clone(), upgraded,
        };
        let result = CreatePacerAccount::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        prop_assert!(!echoes(&result, &password));
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.username.as_str(), username.to_ascii_lowercase());
            prop_assert_eq!(cmd.password.password().expose(), password.as_bytes());
            prop_assert_eq!(cmd.display_name.as_str(), display_name.trim());
            prop_assert_eq!(cmd.upgraded, upgraded);
        }
    }

    #[test]
    fn create_ecf_account_names_exactly_its_bad_fields(
        court_id in court_id(), login in ecf_login(), password in password(),
        display_name in field(m::HUMAN, 128),
    ) {
        let want = expected(&[
            ("court_id", m::COURT_ID.accepts(&court_id)),
            ("login", m::ECF_LOGIN.accepts(&login)),
            ("password", m::new_password(&password)),
            ("display_name", m::human(&display_name, m::DISPLAY_NAME_MAX).is_some()),
        ]);
        let request = proto::CreateEcfAccountRequest {
            court_id: court_id.clone(), login: login.clone(), password: password.clone(),
            display_name: display_name.clone(),
        };
        let result = CreateEcfAccount::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        prop_assert!(!echoes(&result, &password));
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.court_id.as_str(), court_id.to_ascii_lowercase());
            prop_assert_eq!(cmd.login.as_str(), login.to_ascii_lowercase());
            prop_assert_eq!(cmd.display_name.as_str(), display_name.trim());
        }
    }

    #[test]
    fn unlink_names_exactly_its_bad_fields(
        court_id in court_id(), ecf_login in ecf_login(), reason in field(m::HUMAN, 500),
    ) {
        let want = expected(&[
            ("court_id", m::COURT_ID.accepts(&court_id)),
            ("ecf_login", m::ECF_LOGIN.accepts(&ecf_login)),
            ("reason", m::human(&reason, m::UNLINK_REASON_MAX).is_some()),
        ]);
        let request = proto::UnlinkRequest {
            request_id: String::new(),
            court_id: court_id.clone(), ecf_login: ecf_login.clone(), reason: reason.clone(),
        };
        let result = Unlink::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.court_id.as_str(), court_id.to_ascii_lowercase());
            prop_assert_eq!(cmd.ecf_login.as_str(), ecf_login.to_ascii_lowercase());
            prop_assert_eq!(cmd.reason.as_str(), reason.trim());
        }
    }

    #[test]
    fn reset_ecf_password_names_exactly_its_bad_fields(
        court_id in court_id(), ecf_login in ecf_login(), new_password in password(),
    ) {
        let want = expected(&[
            ("court_id", m::COURT_ID.accepts(&court_id)),
            ("ecf_login", m::ECF_LOGIN.accepts(&ecf_login)),
            ("new_password", m::new_password(&new_password)),
        ]);
        let request = proto::ResetEcfPasswordRequest {
            court_id: court_id.clone(), ecf_login: ecf_login.clone(), new_password: new_password.clone(),
        };
        let result = ResetEcfPassword::try_from(request);
        prop_assert_eq!(named(&result)?, want);
        prop_assert!(!echoes(&result, &new_password));
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.court_id.as_str(), court_id.to_ascii_lowercase());
            prop_assert_eq!(cmd.ecf_login.as_str(), ecf_login.to_ascii_lowercase());
            prop_assert_eq!(cmd.new_password.password().expose(), new_password.as_bytes());
        }
    }
}
