//! Conversions for LinkStatusService, FilerAuthService and the admin unlink calls.
use std::sync::Arc;

use crate::domain::{
    CourtId, EcfLogin, FieldViolation, NewPassword, OtpCode, PacerUsername, Password, UnlinkReason,
    Violations,
};
use crate::linking::{
    AuthenticateFiler, LinkError, LinkStatusView, MAX_BATCH, ResetEcfPassword, StatusQuery,
    StatusSubject, Unlink,
};
use crate::proto::{self, get_link_status_request::Subject};
use crate::store::{LinkEventKind, LinkEventRecord};

use super::timestamp;

fn status_query(
    r: &proto::GetLinkStatusRequest,
    prefix: &str,
    v: &mut Violations,
) -> Option<StatusQuery> {
    let court_id = v.check(&format!("{prefix}court_id"), CourtId::parse(&r.court_id));
    let subject = match &r.subject {
        Some(Subject::EcfLogin(login)) => v.check(
            &format!("{prefix}ecf_login"),
            EcfLogin::parse(login).map(StatusSubject::Ecf),
        ),
        Some(Subject::PacerUsername(name)) => v.check(
            &format!("{prefix}pacer_username"),
            PacerUsername::parse(name).map(StatusSubject::Pacer),
        ),
        None => v.check(
            &format!("{prefix}subject"),
            Err("set ecf_login or pacer_username".to_owned()),
        ),
    };
    Some(StatusQuery {
        court_id: court_id?,
        subject: subject?,
    })
}

impl TryFrom<proto::GetLinkStatusRequest> for StatusQuery {
    type Error = LinkError;
    fn try_from(r: proto::GetLinkStatusRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let query = status_query(&r, "", &mut v);
        Ok(v.finish(|| query)?)
    }
}

/// Parses a batch, naming bad fields `requests[i].field`.
pub fn batch(r: proto::BatchGetLinkStatusRequest) -> Result<Vec<StatusQuery>, LinkError> {
    if r.requests.len() > MAX_BATCH {
        let too_many =
            FieldViolation::new("requests", format!("at most {MAX_BATCH} lookups per call"));
        return Err(LinkError::InvalidArgument(vec![too_many]));
    }
    let mut v = Violations::default();
    let queries: Vec<_> = r
        .requests
        .iter()
        .enumerate()
        .map(|(i, q)| status_query(q, &format!("requests[{i}]."), &mut v))
        .collect();
    Ok(v.finish(|| queries.into_iter().collect())?)
}

/// The longest heartbeat interval a stream may ask for.
pub const MAX_HEARTBEAT_SECONDS: u32 = 3600;

/// A WatchLinkEvents request, parsed.
#[derive(Debug)]
pub struct Watch {
    /// Deliver events after this sequence.
    pub after: i64,
    /// Only this court's events.
    pub court: Option<CourtId>,
    /// How long a quiet stream waits before a heartbeat; `None` for never.
    pub heartbeat: Option<std::time::Duration>,
}

/// Parses a WatchLinkEvents request.
pub fn watch(r: &proto::WatchLinkEventsRequest) -> Result<Watch, LinkError> {
    let mut v = Violations::default();
    let after = v.check(
        "after_sequence",
        i64::try_from(r.after_sequence).map_err(|_| "is out of range".to_owned()),
    );
    let court = if r.court_id.is_empty() {
        Some(None)
    } else {
        v.check("court_id", CourtId::parse(&r.court_id)).map(Some)
    };
    let heartbeat = v.check(
        "heartbeat_seconds",
        match r.heartbeat_seconds {
            0 => Ok(None),
            s if s <= MAX_HEARTBEAT_SECONDS => {
                Ok(Some(std::time::Duration::from_secs(u64::from(s))))
            }
            _ => Err(format!("must be 0 (none) or 1 to {MAX_HEARTBEAT_SECONDS}")),
        },
    );
    Ok(v.finish(|| {
        Some(Watch {
            after: after?,
            court: court?,
            heartbeat: heartbeat?,
        })
    })?)
}

impl TryFrom<proto::AuthenticateFilerRequest> for AuthenticateFiler {
    type Error = LinkError;
    fn try_from(r: proto::AuthenticateFilerRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court_id = v.check("court_id", CourtId::parse(&r.court_id));
        let username = v.check("username", PacerUsername::parse(&r.username));
        let password = v.check("password", Password::parse(&r.password));
        let otp_code = v.check("otp_code", OtpCode::parse_optional(&r.otp_code));
        Ok(v.finish(|| {
            Some(Self {
                court_id: court_id?,
                username: username?,
                password: password?,
                otp_code: otp_code?,
            })
        })?)
    }
}

impl TryFrom<proto::UnlinkRequest> for Unlink {
    type Error = LinkError;
    fn try_from(r: proto::UnlinkRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court_id = v.check("court_id", CourtId::parse(&r.court_id));
        let ecf_login = v.check("ecf_login", EcfLogin::parse(&r.ecf_login));
        let reason = v.check("reason", UnlinkReason::parse(&r.reason));
        Ok(v.finish(|| {
            Some(Self {
                court_id: court_id?,
                ecf_login: ecf_login?,
                reason: reason?,
            })
        })?)
    }
}

impl TryFrom<proto::ResetEcfPasswordRequest> for ResetEcfPassword {
    type Error = LinkError;
    fn try_from(r: proto::ResetEcfPasswordRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court_id = v.check("court_id", CourtId::parse(&r.court_id));
        let ecf_login = v.check("ecf_login", EcfLogin::parse(&r.ecf_login));
        let new_password = v.check("new_password", NewPassword::parse(&r.new_password));
        Ok(v.finish(|| {
            Some(Self {
                court_id: court_id?,
                ecf_login: ecf_login?,
                new_password: new_password?,
            })
        })?)
    }
}

impl From<LinkStatusView> for proto::LinkStatus {
    fn from(s: LinkStatusView) -> Self {
        Self {
            court_id: s.court_id.as_str().to_owned(),
            ecf_login: s
                .ecf_login
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            pacer_username: s
                .pacer_username
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            linked: s.linked_at.is_some(),
            linked_at: s.linked_at.map(timestamp),
        }
    }
}

/// The protobuf form of a link event.
/// A heartbeat: nothing happened up to `sequence`.
pub fn beat(sequence: i64) -> proto::LinkEvent {
    proto::LinkEvent {
        sequence: sequence.max(0) as u64,
        r#type: proto::LinkEventType::Heartbeat as i32,
        occurred_at: Some(timestamp(chrono::Utc::now())),
        ..Default::default()
    }
}

/// A stored event as the stream sends it.
pub fn link_event(e: Arc<LinkEventRecord>) -> proto::LinkEvent {
    let kind = match e.kind {
        LinkEventKind::Linked => proto::LinkEventType::Linked,
        LinkEventKind::Unlinked => proto::LinkEventType::Unlinked,
    };
    proto::LinkEvent {
        sequence: e.sequence.max(0) as u64,
        event_id: e.event_id.to_string(),
        r#type: kind as i32,
        court_id: e.court_id.as_str().to_owned(),
        ecf_login: e.ecf_login.as_str().to_owned(),
        pacer_username: e.pacer_username.as_str().to_owned(),
        occurred_at: Some(timestamp(e.occurred_at)),
    }
}
