//! Conversions for EnrollTotp and ListAuditEvents.
use chrono::{DateTime, Utc};

use crate::domain::{PacerUsername, Violations};
use crate::linking::{AuditPage, AuditQuery, EnrollTotp, LinkError, Secret};
use crate::mfa;
use crate::proto;
use crate::store::{AuditCursor, AuditFilter, AuditRecord};

use super::timestamp;

const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 1000;
/// Filters compare with stored (sanitised, truncated) values, so longer ones
/// could never match.
const MAX_FILTER_CHARS: usize = 256;

impl TryFrom<proto::EnrollTotpRequest> for EnrollTotp {
    type Error = LinkError;
    fn try_from(r: proto::EnrollTotpRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let username = v.check("username", PacerUsername::parse(&r.username));
        let secret = if r.secret_base32.is_empty() || r.remove {
            Some(None)
        } else {
            v.check("secret_base32", parse_secret(&r.secret_base32).map(Some))
        };
        Ok(v.finish(|| {
            Some(Self {
                username: username?,
                secret: secret?,
                remove: r.remove,
            })
        })?)
    }
}

impl TryFrom<proto::RemoveTotpRequest> for EnrollTotp {
    type Error = LinkError;
    fn try_from(r: proto::RemoveTotpRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let username = v.check("username", PacerUsername::parse(&r.username));
        Ok(v.finish(|| {
            Some(Self {
                username: username?,
                secret: None,
                remove: true,
            })
        })?)
    }
}

fn parse_secret(text: &str) -> Result<Secret, String> {
    if text.len() > 2 * mfa::MAX_SECRET_BYTES {
        return Err(format!(
            "must decode to at most {} bytes",
            mfa::MAX_SECRET_BYTES
        ));
    }
    let bytes = mfa::base32_decode(text)?;
    if !(mfa::MIN_SECRET_BYTES..=mfa::MAX_SECRET_BYTES).contains(&bytes.len()) {
        return Err(format!(
            "must decode to {} to {} bytes",
            mfa::MIN_SECRET_BYTES,
            mfa::MAX_SECRET_BYTES
        ));
    }
    Ok(Secret(bytes))
}

/// The enrollment answer: the generated secret, if any, in the forms an
/// authenticator app takes.
pub fn enrolled(username: &str, secret: Option<Secret>) -> proto::EnrollTotpResponse {
    let Some(secret) = secret else {
        return proto::EnrollTotpResponse::default();
    };
    let encoded = mfa::base32_encode(&secret.0);
    proto::EnrollTotpResponse {
        otpauth_uri: format!(
            "otpauth://totp/PACER:{username}?secret={encoded}&issuer=PACER&algorithm=SHA1\
             &digits=6&period=30"
        ),
        secret_base32: encoded,
    }
}

fn time(
    field: &str,
    t: Option<prost_types::Timestamp>,
    v: &mut Violations,
) -> Option<Option<DateTime<Utc>>> {
    match t {
        None => Some(None),
        Some(t) => v.check(
            field,
            u32::try_from(t.nanos)
                .ok()
                .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
                .map(Some)
                .ok_or_else(|| "must be a valid timestamp".to_owned()),
        ),
    }
}

fn filter_text(field: &str, raw: String, v: &mut Violations) -> Option<Option<String>> {
    if raw.chars().count() > MAX_FILTER_CHARS {
        v.check::<()>(
            field,
            Err(format!("must be at most {MAX_FILTER_CHARS} characters")),
        );
        return None;
    }
    Some((!raw.is_empty()).then_some(raw))
}

/// A page token: the last event's id, and with a time bound its time in
/// microseconds (`id.micros`), since those pages run in time order. A token
/// of the other order is refused: it cannot say where to continue.
fn page_token(cursor: AuditCursor) -> String {
    match cursor {
        AuditCursor::Id(id) => id.to_string(),
        AuditCursor::TimeAndId(at, id) => format!("{id}.{}", at.timestamp_micros()),
    }
}

fn page_cursor(token: &str, timed: bool) -> Option<AuditCursor> {
    let (id, micros) = match token.split_once('.') {
        Some((id, micros)) if timed => (id, Some(micros)),
        None if !timed => (token, None),
        _ => return None,
    };
    let id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
    match micros {
        None => Some(AuditCursor::Id(id)),
        Some(micros) => {
            let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
            Some(AuditCursor::TimeAndId(at, id))
        }
    }
}

impl TryFrom<proto::ListAuditEventsRequest> for AuditQuery {
    type Error = LinkError;
    fn try_from(r: proto::ListAuditEventsRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court_id = filter_text("court_id", r.court_id, &mut v);
        let subject = filter_text("subject", r.subject, &mut v);
        let operator = filter_text("operator", r.operator, &mut v);
        let caller_identity = filter_text("caller_identity", r.caller_identity, &mut v);
        // From the request itself, so a bad time is not also a bad token.
        let timed = r.start_time.is_some() || r.end_time.is_some();
        let since = time("start_time", r.start_time, &mut v);
        let until = time("end_time", r.end_time, &mut v);
        // Above the maximum is read as the maximum (AIP-158), not refused.
        let page_size = Some(match r.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        });
        let before = if r.page_token.is_empty() {
            Some(None)
        } else {
            v.check(
                "page_token",
                page_cursor(&r.page_token, timed)
                    .map(Some)
                    .ok_or_else(|| "is not a token from a previous page".to_owned()),
            )
        };
        Ok(v.finish(|| {
            Some(Self {
                filter: AuditFilter {
                    court_id: court_id?,
                    subject: subject?,
                    operator: operator?,
                    caller_identity: caller_identity?,
                    since: since?,
                    until: until?,
                    before: before?,
                },
                page_size: page_size?,
            })
        })?)
    }
}

impl From<AuditRecord> for proto::AuditEvent {
    fn from(r: AuditRecord) -> Self {
        let e = r.event;
        Self {
            id: u64::try_from(r.id).unwrap_or_default(),
            occurred_at: Some(timestamp(e.occurred_at)),
            rpc: e.rpc,
            court_id: e.court_id.unwrap_or_default(),
            subject: e.subject.unwrap_or_default(),
            subject_normalized: e.subject_normalized.unwrap_or_default(),
            outcome: e.outcome,
            reason: e.reason.unwrap_or_default(),
            caller: e.caller.unwrap_or_default(),
            caller_identity: e.caller_identity.unwrap_or_default(),
            end_user_address: e.end_user_address.unwrap_or_default(),
            operator: e.operator.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
            repeat_count: u32::try_from(e.repeat_count).unwrap_or(u32::MAX),
            trace_id: e.trace_id.unwrap_or_default(),
        }
    }
}

impl From<AuditPage> for proto::ListAuditEventsResponse {
    fn from(page: AuditPage) -> Self {
        Self {
            events: page.events.into_iter().map(Into::into).collect(),
            next_page_token: page.next.map(page_token).unwrap_or_default(),
        }
    }
}
