//! The front-end's only access to the service: its gRPC API, each call
//! naming the browser's address as the filer's (`end-user-address`), and
//! each failure turned into one thing to tell the filer.
use std::net::IpAddr;
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

use crate::proto::{
    self, account_link_service_client::AccountLinkServiceClient,
    filer_auth_service_client::FilerAuthServiceClient,
};
use crate::reason;
use crate::throttle::END_USER_ADDRESS;

/// What went wrong, in the terms the pages speak to the filer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Wrong username or password (or a retired CM/ECF password).
    WrongCredentials,
    /// The PACER account has not been upgraded.
    NotUpgraded,
    /// The CM/ECF login does not begin with the court's prefix.
    WrongPrefix,
    /// The PACER account already has a link in this court.
    PacerAlreadyLinked,
    /// The CM/ECF account already has a link.
    EcfAlreadyLinked,
    /// The flow ended (expired, finished, or unknown to the service).
    FlowExpired,
    /// Too many attempts, or the service is busy: try again after this long.
    TooMany(Duration),
    /// The account has a second factor: ask for the passcode.
    PasscodeNeeded,
    /// The PACER account is not linked to a CM/ECF account in this court.
    NotLinked,
    /// A field the service refused, with its description.
    BadField(String, String),
    /// The service cannot be reached or failed; nothing more is said.
    Unavailable,
}

impl Problem {
    /// The problem a status stands for. Unknown reasons are `Unavailable`:
    /// internal details never reach a page.
    pub fn of(status: &Status) -> Self {
        let reason = status
            .get_details_error_info()
            .map(|info| info.reason)
            .unwrap_or_default();
        match reason.as_str() {
            reason::INVALID_CREDENTIALS => Self::WrongCredentials,
            reason::PACER_ACCOUNT_NOT_UPGRADED => Self::NotUpgraded,
            reason::ECF_LOGIN_PREFIX_MISMATCH => Self::WrongPrefix,
            reason::PACER_ACCOUNT_ALREADY_LINKED => Self::PacerAlreadyLinked,
            reason::ECF_ACCOUNT_ALREADY_LINKED => Self::EcfAlreadyLinked,
            reason::FLOW_NOT_FOUND_OR_EXPIRED | reason::FLOW_STEP_OUT_OF_ORDER => Self::FlowExpired,
            reason::TOO_MANY_ATTEMPTS | reason::OVERLOADED => Self::TooMany(
                status
                    .get_details_retry_info()
                    .and_then(|info| info.retry_delay)
                    .unwrap_or(Duration::from_secs(60)),
            ),
            reason::MFA_REQUIRED => Self::PasscodeNeeded,
            reason::PACER_ACCOUNT_NOT_LINKED => Self::NotLinked,
            reason::INVALID_ARGUMENT if status.code() == Code::InvalidArgument => status
                .get_details_bad_request()
                .and_then(|bad| bad.field_violations.into_iter().next())
                .map_or(Self::Unavailable, |v| {
                    Self::BadField(v.field, v.description)
                }),
            _ => Self::Unavailable,
        }
    }
}

/// The service, over one channel.
#[derive(Clone)]
pub struct Upstream {
    link: AccountLinkServiceClient<Channel>,
    filer: FilerAuthServiceClient<Channel>,
}

/// How long one call may take before the filer is told the service is unavailable.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

impl Upstream {
    /// A lazily connected channel to `uri` (`http://` for a loopback sidecar,
    /// `https://` verified against the system's roots).
    pub fn new(uri: &str) -> Result<Self, String> {
        let mut endpoint = Endpoint::from_shared(uri.to_owned())
            .map_err(|e| format!("PACER_LINK_WEB_UPSTREAM {uri:?}: {e}"))?
            .connect_timeout(Duration::from_secs(3))
            .timeout(CALL_TIMEOUT)
            .tcp_nodelay(true);
        if uri.starts_with("https://") {
            endpoint = endpoint
                .tls_config(tonic::transport::ClientTlsConfig::new().with_native_roots())
                .map_err(|e| format!("PACER_LINK_WEB_UPSTREAM TLS: {e}"))?;
        }
        let channel = endpoint.connect_lazy();
        Ok(Self {
            link: AccountLinkServiceClient::new(channel.clone()),
            filer: FilerAuthServiceClient::new(channel),
        })
    }

    /// The court's public record.
    pub async fn court(&self, court_id: &str) -> Result<proto::Court, Problem> {
        let request = Request::new(proto::GetCourtRequest {
            court_id: court_id.to_owned(),
        });
        answer(self.link.clone().get_court(request).await)
    }

    /// Step 2.
    pub async fn authenticate_pacer(
        &self,
        filer: IpAddr,
        message: proto::AuthenticatePacerRequest,
    ) -> Result<proto::AuthenticatePacerResponse, Problem> {
        answer(
            self.link
                .clone()
                .authenticate_pacer(from(filer, message))
                .await,
        )
    }

    /// Step 3.
    pub async fn verify_ecf(
        &self,
        filer: IpAddr,
        message: proto::VerifyEcfRequest,
    ) -> Result<proto::VerifyEcfResponse, Problem> {
        answer(self.link.clone().verify_ecf(from(filer, message)).await)
    }

    /// Step 4.
    pub async fn preview(
        &self,
        filer: IpAddr,
        message: proto::PreviewLinkRequest,
    ) -> Result<proto::PreviewLinkResponse, Problem> {
        answer(self.link.clone().preview_link(from(filer, message)).await)
    }

    /// Step 5.
    pub async fn confirm(
        &self,
        filer: IpAddr,
        message: proto::ConfirmLinkRequest,
    ) -> Result<proto::ConfirmLinkResponse, Problem> {
        answer(self.link.clone().confirm_link(from(filer, message)).await)
    }

    /// Step 6: a CM/ECF sign-in with PACER credentials.
    pub async fn authenticate_filer(
        &self,
        filer: IpAddr,
        message: proto::AuthenticateFilerRequest,
    ) -> Result<proto::AuthenticateFilerResponse, Problem> {
        answer(
            self.filer
                .clone()
                .authenticate_filer(from(filer, message))
                .await,
        )
    }
}

/// A request naming the filer's address, as the service asks of a front-end.
fn from<T>(filer: IpAddr, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Ok(value) = filer.to_string().parse() {
        request.metadata_mut().insert(END_USER_ADDRESS, value);
    }
    request
}

fn answer<T>(result: Result<tonic::Response<T>, Status>) -> Result<T, Problem> {
    result.map(tonic::Response::into_inner).map_err(|status| {
        let problem = Problem::of(&status);
        if problem == Problem::Unavailable {
            // The code and message only: a status never carries a secret.
            tracing::warn!(code = ?status.code(), message = status.message(), "service call failed");
        }
        problem
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, StatusExt};

    fn status(code: Code, reason: &str) -> Status {
        let mut details = ErrorDetails::with_error_info(reason, crate::ERROR_DOMAIN, []);
        details.set_retry_info(Some(Duration::from_secs(90)));
        Status::with_error_details(code, "x", details)
    }

    #[test]
    fn each_reason_becomes_what_the_filer_is_told() {
        assert_eq!(
            Problem::of(&status(Code::Unauthenticated, "INVALID_CREDENTIALS")),
            Problem::WrongCredentials
        );
        assert_eq!(
            Problem::of(&status(Code::ResourceExhausted, "TOO_MANY_ATTEMPTS")),
            Problem::TooMany(Duration::from_secs(90))
        );
        assert_eq!(
            Problem::of(&status(Code::Internal, "INTERNAL")),
            Problem::Unavailable
        );
        assert_eq!(
            Problem::of(&Status::unavailable("connection refused")),
            Problem::Unavailable
        );
    }
}
