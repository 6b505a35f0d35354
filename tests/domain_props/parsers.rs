//! Every domain parser: never panics, accepts exactly what its doc comment
//! allows, and gives back what it parsed (lower-cased or trimmed where documented).
use pacer_link::domain::{
    ClientCode, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix, FlowToken, NewPassword,
    PacerUsername, Password, UnlinkReason,
};
use proptest::prelude::*;

use super::models::{self, Identifier};

/// An identifier parser agrees with its rule, lower-cases, and re-parses to itself.
fn check_identifier<T>(
    rule: &Identifier,
    raw: &str,
    parse: fn(&str) -> Result<T, String>,
    as_str: fn(&T) -> &str,
) -> Result<(), TestCaseError> {
    let parsed = parse(raw);
    prop_assert_eq!(parsed.is_ok(), rule.accepts(raw), "input {:?}", raw);
    if let Ok(value) = parsed {
        let text = as_str(&value);
        prop_assert_eq!(text, raw.to_ascii_lowercase());
        prop_assert!(text.is_ascii());
        prop_assert!(!text.chars().any(|c| c.is_ascii_uppercase()));
        prop_assert!(rule.accepts(text));
        let again = parse(text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(as_str(&again), text);
    }
    Ok(())
}

/// A human-text parser agrees with its rule, trims, and re-parses to itself.
fn check_human<T>(
    max: usize,
    raw: &str,
    parse: fn(&str) -> Result<T, String>,
    as_str: fn(&T) -> &str,
) -> Result<(), TestCaseError> {
    let parsed = parse(raw);
    prop_assert_eq!(
        parsed.is_ok(),
        models::human(raw, max).is_some(),
        "input {:?}",
        raw
    );
    if let Ok(value) = parsed {
        let text = as_str(&value);
        prop_assert_eq!(Some(text), models::human(raw, max));
        prop_assert!((1..=max).contains(&text.chars().count()));
        prop_assert!(!text.chars().any(char::is_control));
        prop_assert_eq!(text.trim(), text);
        let again = parse(text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(as_str(&again), text);
    }
    Ok(())
}

/// Whether either `Debug` form of `value` contains `secret`.
fn debug_shows(value: &impl std::fmt::Debug, secret: &str) -> bool {
    format!("{value:?}").contains(secret) || format!("{value:#?}").contains(secret)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn court_id_accepts_exactly_2_to_16_letters_or_digits(raw in models::field(models::ALNUM, 16)) {
        check_identifier(&models::COURT_ID, &raw, CourtId::parse, CourtId::as_str)?;
    }

    #[test]
    fn ecf_login_prefix_accepts_exactly_1_to_8_letters_or_digits(raw in models::field(models::ALNUM, 8)) {
        check_identifier(&models::ECF_LOGIN_PREFIX, &raw, EcfLoginPrefix::parse, EcfLoginPrefix::as_str)?;
    }

    #[test]
    fn pacer_username_accepts_exactly_its_allow_list(raw in models::field(models::USERNAME, 64)) {
        check_identifier(&models::PACER_USERNAME, &raw, PacerUsername::parse, PacerUsername::as_str)?;
    }

    #[test]
    fn ecf_login_accepts_exactly_its_allow_list(raw in models::field(models::LOGIN, 64)) {
        check_identifier(&models::ECF_LOGIN, &raw, EcfLogin::parse, EcfLogin::as_str)?;
    }

    #[test]
    fn court_name_is_trimmed_bounded_text(raw in models::field(models::HUMAN, 200)) {
        check_human(models::COURT_NAME_MAX, &raw, CourtName::parse, CourtName::as_str)?;
    }

    #[test]
    fn display_name_is_trimmed_bounded_text(raw in models::field(models::HUMAN, 128)) {
        check_human(models::DISPLAY_NAME_MAX, &raw, DisplayName::parse, DisplayName::as_str)?;
    }

    #[test]
    fn unlink_reason_is_trimmed_bounded_text(raw in models::field(models::HUMAN, 500)) {
        check_human(models::UNLINK_REASON_MAX, &raw, UnlinkReason::parse, UnlinkReason::as_str)?;
    }

    #[test]
    fn display_names_match_whatever_the_ascii_case_and_spacing(raw in models::field(models::HUMAN, 128)) {
        let Ok(name) = DisplayName::parse(&raw) else { return Ok(()) };
        // A name without a letter or digit (once accents and other
        // combining marks are dropped) names nobody: it matches nothing,
        // itself included, so a blank-looking name can vouch for no one.
        let readable = {
            use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
            raw.nfkd().any(|c| c.is_alphanumeric() && !is_combining_mark(c))
        };
        if !readable {
            prop_assert!(!name.matches(&name));
            return Ok(());
        }
        {
            prop_assert!(name.matches(&name));
            let shouted = DisplayName::parse(&name.as_str().to_ascii_uppercase()).unwrap();
            prop_assert!(name.matches(&shouted) && shouted.matches(&name));
            let spaced = name.as_str().replace(' ', "  ");
            if let Ok(spaced) = DisplayName::parse(&spaced) {
                prop_assert!(name.matches(&spaced));
            }
        }
    }

    #[test]
    fn client_code_is_empty_or_up_to_32_printable_ascii(raw in models::field(models::PRINTABLE, 32)) {
        let parsed = ClientCode::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), models::client_code(&raw), "input {:?}", raw);
        if let Ok(code) = parsed {
            let expected = (!raw.is_empty()).then_some(raw.as_str());
            prop_assert_eq!(code.as_deref(), expected);
            if let Some(text) = code.as_deref() {
                prop_assert!(text.len() <= 32);
                prop_assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)));
            }
        }
    }

    #[test]
    fn password_is_1_to_256_characters_kept_as_received(raw in models::field(models::PRINTABLE, 256)) {
        let parsed = Password::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), models::password(&raw));
        if let Ok(password) = parsed {
            prop_assert_eq!(password.expose(), raw.as_bytes());
        }
    }

    #[test]
    fn new_password_is_12_to_256_characters_kept_as_received(raw in models::field(models::PRINTABLE, 256)) {
        let parsed = NewPassword::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), models::new_password(&raw));
        if let Ok(password) = parsed {
            prop_assert_eq!(password.password().expose(), raw.as_bytes());
        }
    }

    #[test]
    fn password_debug_never_depends_on_the_secret(a in models::any_text(), b in models::any_text()) {
        if let (Ok(pa), Ok(pb)) = (Password::parse(&a), Password::parse(&b)) {
            prop_assert_eq!(format!("{:?}", pa), format!("{:?}", pb));
            prop_assert_eq!(format!("{:#?}", pa), format!("{:#?}", pb));
        }
        if let (Ok(na), Ok(nb)) = (NewPassword::parse(&a), NewPassword::parse(&b)) {
            prop_assert_eq!(format!("{:?}", na), format!("{:?}", nb));
            prop_assert_eq!(format!("{:#?}", na), format!("{:#?}", nb));
        }
    }

    #[test]
    fn password_debug_never_contains_the_secret(secret in "s3cr3t-\\PC{5,200}") {
        let password = Password::parse(&secret).unwrap();
        prop_assert!(!debug_shows(&password, &secret));
        let new_password = NewPassword::parse(&secret).unwrap();
        prop_assert!(!debug_shows(&new_password, &secret));
    }

    #[test]
    fn flow_token_accepts_exactly_43_base64url_characters(raw in models::field(models::TOKEN, 43)) {
        let parsed = FlowToken::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), models::flow_token(&raw), "input {:?}", raw);
        if let Ok(token) = parsed {
            prop_assert_eq!(token.expose(), raw.as_str());
        }
    }

    #[test]
    fn flow_token_hash_is_deterministic_and_tells_tokens_apart(
        a in "[a-zA-Z0-9_\\-]{43}",
        b in "[a-zA-Z0-9_\\-]{43}",
    ) {
        let ta = FlowToken::parse(&a).unwrap();
        prop_assert_eq!(ta.hash(), FlowToken::parse(&a).unwrap().hash());
        let tb = FlowToken::parse(&b).unwrap();
        prop_assert_eq!(a == b, ta.hash() == tb.hash());
        prop_assert!(!debug_shows(&ta, &a));
        prop_assert_eq!(format!("{:?}", ta), format!("{:?}", tb));
    }

    #[test]
    fn generated_flow_tokens_parse_back_and_are_unique(_seed in any::<u8>()) {
        let a = FlowToken::generate();
        let b = FlowToken::generate();
        let parsed = FlowToken::parse(a.expose()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&parsed, &a);
        prop_assert_eq!(parsed.hash(), a.hash());
        prop_assert!(models::flow_token(a.expose()));
        prop_assert_ne!(&a, &b);
        prop_assert_ne!(a.hash(), b.hash());
        prop_assert!(!debug_shows(&a, a.expose()));
    }
}
