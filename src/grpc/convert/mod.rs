//! Proto messages become domain commands here, once; domain values become
//! proto messages here too. Every field is parsed, and every bad field is
//! reported together.
use chrono::{DateTime, Utc};

use crate::domain::{
    ClientCode, CourtEnvironment, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix,
    FlowToken, NewPassword, OtpCode, PacerUsername, Password, Violations,
};
use crate::linking::{
    AuthenticatePacer, CreateCourt, CreateEcfAccount, CreatePacerAccount, EcfAccountView,
    LinkError, PacerAccountView, VerifyEcf,
};
use crate::proto;
use crate::store::LinkRecord;

pub mod admin_security;
pub mod coverage;
pub mod help_desk;
pub mod import;
pub mod status;

/// The protobuf form of a time.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Parses a request that carries only a flow token.
pub fn flow_token(raw: &str) -> Result<FlowToken, LinkError> {
    let mut v = Violations::default();
    let token = v.check("flow_token", FlowToken::parse(raw));
    Ok(v.finish(|| token)?)
}

/// Parses a court identifier sent alone, as `court_id`.
pub fn court_id(raw: &str) -> Result<CourtId, LinkError> {
    let mut v = Violations::default();
    let id = v.check("court_id", CourtId::parse(raw));
    Ok(v.finish(|| id)?)
}

impl TryFrom<proto::AuthenticatePacerRequest> for AuthenticatePacer {
    type Error = LinkError;
    fn try_from(r: proto::AuthenticatePacerRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court_id = v.check("court_id", CourtId::parse(&r.court_id));
        let username = v.check("username", PacerUsername::parse(&r.username));
        let password = v.check("password", Password::parse(&r.password));
        let client_code = v.check("client_code", ClientCode::parse(&r.client_code));
        let otp_code = v.check("otp_code", OtpCode::parse_optional(&r.otp_code));
        Ok(v.finish(|| {
            Some(Self {
                court_id: court_id?,
                username: username?,
                password: password?,
                client_code: client_code?,
                otp_code: otp_code?,
            })
        })?)
    }
}

impl TryFrom<proto::VerifyEcfRequest> for VerifyEcf {
    type Error = LinkError;
    fn try_from(r: proto::VerifyEcfRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let flow_token = v.check("flow_token", FlowToken::parse(&r.flow_token));
        let ecf_login = v.check("ecf_login", EcfLogin::parse(&r.ecf_login));
        let ecf_password = v.check("ecf_password", Password::parse(&r.ecf_password));
        Ok(v.finish(|| {
            Some(Self {
                flow_token: flow_token?,
                ecf_login: ecf_login?,
                ecf_password: ecf_password?,
            })
        })?)
    }
}

impl TryFrom<proto::CreateCourtRequest> for CreateCourt {
    type Error = LinkError;
    fn try_from(r: proto::CreateCourtRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court_id = v.check("court_id", CourtId::parse(&r.court_id));
        let name = v.check("name", CourtName::parse(&r.name));
        let prefix = v.check(
            "ecf_login_prefix",
            EcfLoginPrefix::parse(&r.ecf_login_prefix),
        );
        let environment = v.check("environment", CourtEnvironment::parse(&r.environment));
        Ok(v.finish(|| {
            Some(Self {
                court_id: court_id?,
                name: name?,
                ecf_login_prefix: prefix?,
                environment: environment?,
            })
        })?)
    }
}

impl TryFrom<proto::CreatePacerAccountRequest> for CreatePacerAccount {
    type Error = LinkError;
    fn try_from(r: proto::CreatePacerAccountRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let username = v.check("username", PacerUsername::parse(&r.username));
        let password = v.check("password", NewPassword::parse(&r.password));
        let display_name = v.check("display_name", DisplayName::parse(&r.display_name));
        Ok(v.finish(|| {
            Some(Self {
                username: username?,
                password: password?,
                display_name: display_name?,
                upgraded: r.upgraded,
            })
        })?)
    }
}

impl TryFrom<proto::CreateEcfAccountRequest> for CreateEcfAccount {
    type Error = LinkError;
    fn try_from(r: proto::CreateEcfAccountRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court_id = v.check("court_id", CourtId::parse(&r.court_id));
        let login = v.check("login", EcfLogin::parse(&r.login));
        let password = v.check("password", NewPassword::parse(&r.password));
        let display_name = v.check("display_name", DisplayName::parse(&r.display_name));
        Ok(v.finish(|| {
            Some(Self {
                court_id: court_id?,
                login: login?,
                password: password?,
                display_name: display_name?,
            })
        })?)
    }
}

impl From<PacerAccountView> for proto::PacerAccount {
    fn from(a: PacerAccountView) -> Self {
        Self {
            username: a.username.as_str().to_owned(),
            display_name: a.display_name.as_str().to_owned(),
        }
    }
}

impl From<EcfAccountView> for proto::EcfAccount {
    fn from(a: EcfAccountView) -> Self {
        Self {
            court_id: a.court_id.as_str().to_owned(),
            login: a.login.as_str().to_owned(),
            display_name: a.display_name.as_str().to_owned(),
        }
    }
}

impl From<LinkRecord> for proto::Link {
    fn from(l: LinkRecord) -> Self {
        Self {
            court_id: l.court_id.as_str().to_owned(),
            ecf_login: l.ecf_login.as_str().to_owned(),
            pacer_username: l.pacer_username.as_str().to_owned(),
            linked_at: Some(timestamp(l.linked_at)),
        }
    }
}
