//! The second-factor and audit-trail inputs: one-time codes, TOTP
//! enrollment, audit queries, base32 secrets, sealed secrets and the
//! sanitiser that makes caller text safe to store.
use pacer_link::domain::OtpCode;
use pacer_link::linking::{AuditQuery, EnrollTotp, LinkError};
use pacer_link::mfa::{self, TotpKey};
use pacer_link::proto;
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

/// How many bytes `text` decodes to, if it is base32 (any case, spaces and
/// trailing `=` ignored).
fn base32_len(text: &str) -> Option<usize> {
    let symbols: Vec<char> = text
        .trim_end_matches('=')
        .chars()
        .filter(|c| *c != ' ')
        .collect();
    let valid = |c: &char| c.is_ascii_alphabetic() || ('2'..='7').contains(c);
    symbols.iter().all(valid).then_some(symbols.len() * 5 / 8)
}

fn timestamp() -> impl Strategy<Value = Option<prost_types::Timestamp>> {
    let seconds = prop_oneof![any::<i64>(), -100_000_000_000i64..100_000_000_000];
    let nanos = prop_oneof![any::<i32>(), 0..1_000_000_000i32];
    prop::option::of(
        (seconds, nanos).prop_map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
    )
}

fn valid_time(t: &Option<prost_types::Timestamp>) -> bool {
    t.as_ref().is_none_or(|t| {
        u32::try_from(t.nanos)
            .is_ok_and(|n| chrono::DateTime::from_timestamp(t.seconds, n).is_some())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn otp_code_is_empty_or_exactly_six_ascii_digits(raw in prop_oneof![field("0-9", 6), m::any_text()]) {
        let parsed = OtpCode::parse_optional(&raw);
        prop_assert_eq!(parsed.is_ok(), m::otp_code(&raw), "input {:?}", raw);
        if let Ok(code) = parsed {
            prop_assert_eq!(code.as_ref().map(|c| &c.expose()[..]), (!raw.is_empty()).then_some(raw.as_bytes()));
        }
    }

    #[test]
    fn otp_code_debug_never_depends_on_the_code(a in "[0-9]{6}", b in "[0-9]{6}") {
        let a = OtpCode::parse_optional(&a).unwrap().unwrap();
        let b = OtpCode::parse_optional(&b).unwrap().unwrap();
        prop_assert_eq!(format!("{:?}", a), format!("{:?}", b));
    }

    #[test]
    fn enroll_totp_names_exactly_its_bad_fields(
        username in field(m::USERNAME, 64),
        secret in prop_oneof![Just(String::new()), field("A-Z2-7a-z =", 110), m::any_text()],
        remove in any::<bool>(),
    ) {
        let secret_ok = secret.is_empty() || remove
            || (secret.len() <= 2 * mfa::MAX_SECRET_BYTES
                && base32_len(&secret).is_some_and(|n| (mfa::MIN_SECRET_BYTES..=mfa::MAX_SECRET_BYTES).contains(&n)));
        let want = expected(&[("username", m::PACER_USERNAME.accepts(&username)), ("secret_base32", secret_ok)]);
        let request = proto::EnrollTotpRequest { username: username.clone(), secret_base32: secret.clone(), remove, request_id: String::new() };
        let result = EnrollTotp::try_from(request);
        prop_assert_eq!(fields(&result), want);
        if let Ok(cmd) = result {
            prop_assert_eq!(cmd.remove, remove);
            prop_assert_eq!(cmd.secret.is_some(), !secret.is_empty() && !remove);
            if let Some(parsed) = cmd.secret {
                prop_assert_eq!(Some(parsed.0.len()), base32_len(&secret));
                let shown = format!("{parsed:?}");
                prop_assert!(!shown.contains(secret.as_str()));
            }
        }
    }

    #[test]
    fn list_audit_events_names_exactly_its_bad_fields(
        court_id in field(" -~", 256), subject in prop_oneof![field("a-z\u{e9}", 256), m::any_text()],
        start_time in timestamp(), end_time in timestamp(),
        page_size in prop_oneof![0..1200u32, any::<u32>()],
        page_token in prop_oneof![
            Just(String::new()),
            any::<i64>().prop_map(|n| n.to_string()),
            (any::<i64>(), any::<i64>()).prop_map(|(n, t)| format!("{n}.{t}")),
            m::any_text()
        ],
    ) {
        // A window's pages run in time order, their tokens `id.micros`.
        let timed = start_time.is_some() || end_time.is_some();
        let id_ok = |id: &str| id.parse::<i64>().is_ok_and(|n| n > 0);
        let token_ok = page_token.is_empty() || match page_token.split_once('.') {
            None => !timed && id_ok(&page_token),
            Some((id, micros)) => timed && id_ok(id) && micros.parse::<i64>().ok()
                .and_then(chrono::DateTime::from_timestamp_micros).is_some(),
        };
        let want = expected(&[
            ("court_id", court_id.chars().count() <= 256),
            ("subject", subject.chars().count() <= 256),
            ("start_time", valid_time(&start_time)),
            ("end_time", valid_time(&end_time)),
            ("page_token", token_ok),
        ]);
        let request = proto::ListAuditEventsRequest {
            court_id: court_id.clone(), subject: subject.clone(), start_time, end_time, page_size,
            page_token: page_token.clone(), ..Default::default()
        };
        let result = AuditQuery::try_from(request);
        prop_assert_eq!(fields(&result), want);
        if let Ok(query) = result {
            prop_assert!((1..=1000).contains(&query.page_size));
            // Above the maximum is read as the maximum (AIP-158), not refused.
            let expected_size = match page_size { 0 => 100, n => n.min(1000) };
            prop_assert_eq!(query.page_size, expected_size);
            prop_assert_eq!(query.filter.court_id.as_deref(), (!court_id.is_empty()).then_some(court_id.as_str()));
            prop_assert_eq!(query.filter.before.is_some(), !page_token.is_empty());
            prop_assert_eq!(query.filter.in_time_order(), timed);
        }
    }

    #[test]
    fn base32_round_trips_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let text = mfa::base32_encode(&bytes);
        prop_assert_eq!(mfa::base32_decode(&text).unwrap(), bytes.clone());
        prop_assert_eq!(mfa::base32_decode(&text.to_lowercase()).unwrap(), bytes);
    }

    #[test]
    fn base32_decode_accepts_exactly_base32(text in prop_oneof![field("A-Z2-7a-z =", 120), m::any_text()]) {
        let decoded = mfa::base32_decode(&text);
        prop_assert_eq!(decoded.as_ref().ok().map(Vec::len), base32_len(&text), "input {:?}", text);
    }

    #[test]
    fn sealed_secrets_open_only_for_their_owner(
        key in "[0-9a-f]{64}", secret in prop::collection::vec(any::<u8>(), 16..64),
        junk in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let key = TotpKey::from_hex(&key).unwrap();
        let sealed = key.seal("hhumbert", &secret);
        prop_assert_eq!(key.open("hhumbert", &sealed).unwrap(), secret);
        prop_assert!(key.open("dhaze", &sealed).is_err());
        prop_assert!(key.open("hhumbert", &junk).is_err());
    }

    #[test]
    fn sanitized_text_is_short_and_has_no_control_or_bidi_characters(raw in m::any_text()) {
        let clean = pacer_link::audit::sanitize(&raw);
        prop_assert!(clean.chars().count() <= 64 * 8 + 1);
        let unsafe_char = |c: char| c.is_control() || matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}');
        prop_assert!(!clean.chars().any(unsafe_char), "{:?} became {:?}", raw, clean);
        let plain = raw.chars().count() <= 64 && !raw.chars().any(|c| unsafe_char(c) || c == '\\');
        prop_assert_eq!(plain, clean == raw, "{:?} became {:?}", raw, clean);
    }
}
