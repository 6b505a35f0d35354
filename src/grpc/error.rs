//! The API's errors and their one mapping to `tonic::Status`: a code, a
//! fixed message, and a `google.rpc.ErrorInfo` whose reason clients switch
//! on. The mapping is pure: failures are logged and counted by the telemetry
//! layer, keyed by reason, from the status (which keeps its source error).
use std::{collections::HashMap, sync::Arc, time::Duration};

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::linking::LinkError;
use crate::reason;
use crate::store::Conflict;

/// Everything an RPC can answer with: the linking layer's errors and the
/// cases only the transport edge raises.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The linking layer refused the call.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A missing or wrong admin token.
    #[error("admin call not authenticated")]
    AdminUnauthenticated,
    /// The caller policy does not let this caller call this method.
    #[error("caller not allowed")]
    CallerNotAllowed,
    /// The caller's address sent more attempts than its rate allows.
    #[error("too many attempts from this source")]
    SourceThrottled {
        /// When the next attempt is allowed.
        retry_after: Duration,
    },
    /// A front-end's sign-in did not name the filer's address.
    #[error("end-user address required")]
    EndUserAddressRequired,
    /// Too many event streams are open, in all or for this caller.
    #[error("too many event streams")]
    TooManyStreams,
    /// An event stream's consumer stopped reading for too long.
    #[error("event stream lagging")]
    EventStreamLagging,
    /// The server is shutting down.
    #[error("shutting down")]
    ShuttingDown,
    /// A request message was larger than the server accepts.
    #[error("request message too large")]
    MessageTooLarge,
}

/// When a refused event stream is worth retrying: streams end when their
/// consumers leave, so slots come free, but not instantly.
const STREAM_RETRY: Duration = Duration::from_secs(5);

/// The status of an attempt refused by the per-source throttle.
pub fn throttled(retry_after: Duration) -> Status {
    ApiError::SourceThrottled { retry_after }.into()
}

/// The status of a front-end's sign-in without the filer's address.
pub fn end_user_address_required() -> Status {
    ApiError::EndUserAddressRequired.into()
}

/// The status of a request whose message exceeded the size limit.
pub fn message_too_large() -> Status {
    ApiError::MessageTooLarge.into()
}

/// The status of a call the caller policy does not grant.
pub fn caller_not_allowed() -> Status {
    ApiError::CallerNotAllowed.into()
}

impl From<LinkError> for Status {
    fn from(error: LinkError) -> Self {
        ApiError::Link(error).into()
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let mut metadata = HashMap::new();
        let error = match error {
            ApiError::Link(LinkError::InBatch { index, error }) => {
                metadata.insert("index".to_owned(), index.to_string());
                ApiError::Link(*error)
            }
            other => other,
        };
        let mut violations = Vec::new();
        let (code, reason, message) = describe(&error, &mut violations);
        let mut details = ErrorDetails::with_error_info(reason, reason::ERROR_DOMAIN, metadata);
        if !violations.is_empty() {
            details.set_bad_request(violations);
        }
        if let ApiError::Link(LinkError::Overloaded { retry_after })
        | ApiError::SourceThrottled { retry_after } = &error
        {
            details.set_retry_info(Some(*retry_after));
        }
        if let ApiError::TooManyStreams = &error {
            details.set_retry_info(Some(STREAM_RETRY));
        }
        let keep_source = matches!(code, Code::Internal | Code::Unavailable);
        let mut status = Status::with_error_details(code, message, details);
        // The cause stays on the server side: the telemetry layer logs it in
        // full; the client sees only the fixed message above.
        if keep_source {
            status.set_source(Arc::new(error));
        }
        status
    }
}

/// The code, reason and message of one error; field violations go to `violations`.
fn describe(
    error: &ApiError,
    violations: &mut Vec<FieldViolation>,
) -> (Code, &'static str, String) {
    match error {
        ApiError::Link(error) => describe_link(error, violations),
        ApiError::AdminUnauthenticated => (
            Code::Unauthenticated,
            reason::ADMIN_UNAUTHENTICATED,
            "admin calls need a valid \"authorization: Bearer <token>\"".into(),
        ),
        ApiError::MessageTooLarge => (
            Code::ResourceExhausted,
            reason::MESSAGE_TOO_LARGE,
            "the request message is larger than this server accepts \
             (PACER_LINK_MAX_REQUEST_BYTES)"
                .into(),
        ),
        ApiError::CallerNotAllowed => (
            Code::PermissionDenied,
            reason::CALLER_NOT_ALLOWED,
            "this caller may not call this method".into(),
        ),
        ApiError::SourceThrottled { .. } => (
            Code::ResourceExhausted,
            reason::TOO_MANY_ATTEMPTS,
            "too many attempts from this address; retry after the delay in RetryInfo".into(),
        ),
        ApiError::EndUserAddressRequired => {
            violations.push(FieldViolation::new(
                crate::throttle::END_USER_ADDRESS,
                "a front-end must send the filer's IP address in this metadata",
            ));
            (
                Code::InvalidArgument,
                reason::END_USER_ADDRESS_REQUIRED,
                "sign-ins relayed by a front-end need the filer's address in end-user-address"
                    .into(),
            )
        }
        ApiError::TooManyStreams => (
            Code::ResourceExhausted,
            reason::TOO_MANY_STREAMS,
            "too many event streams are open; close one or retry after the delay in RetryInfo"
                .into(),
        ),
        ApiError::EventStreamLagging => (
            Code::Aborted,
            reason::EVENT_STREAM_LAGGING,
            "the consumer fell too far behind; resume with after_sequence set to the last \
             sequence received"
                .into(),
        ),
        ApiError::ShuttingDown => (
            Code::Unavailable,
            reason::SERVER_SHUTTING_DOWN,
            "the server is shutting down; resume from the last sequence received".into(),
        ),
    }
}

fn describe_link(
    error: &LinkError,
    violations: &mut Vec<FieldViolation>,
) -> (Code, &'static str, String) {
    match error {
        LinkError::InvalidArgument(bad) => {
            violations.extend(
                bad.iter()
                    .map(|v| FieldViolation::new(v.field.clone(), v.description.clone())),
            );
            let message = "the request has invalid fields";
            (
                Code::InvalidArgument,
                reason::INVALID_ARGUMENT,
                message.into(),
            )
        }
        // One message for every way credentials can fail, so that the
        // answer never tells an attacker which usernames exist.
        LinkError::InvalidCredentials => (
            Code::Unauthenticated,
            reason::INVALID_CREDENTIALS,
            "the username or password is incorrect".into(),
        ),
        LinkError::PacerAccountNotUpgraded => (
            Code::FailedPrecondition,
            reason::PACER_ACCOUNT_NOT_UPGRADED,
            "this PACER account has not been upgraded; upgrade it before linking".into(),
        ),
        LinkError::PacerAccountAlreadyLinked => (
            Code::AlreadyExists,
            reason::PACER_ACCOUNT_ALREADY_LINKED,
            "this PACER account is already linked to a CM/ECF account in this court".into(),
        ),
        LinkError::EcfAccountAlreadyLinked => (
            Code::AlreadyExists,
            reason::ECF_ACCOUNT_ALREADY_LINKED,
            "this CM/ECF account is already linked to a PACER account".into(),
        ),
        LinkError::EcfLoginPrefixMismatch { prefix } => {
            let description = format!("must begin with \"{prefix}\" in this court");
            violations.push(FieldViolation::new("ecf_login", description));
            (
                Code::InvalidArgument,
                reason::ECF_LOGIN_PREFIX_MISMATCH,
                format!("CM/ECF logins in this court begin with \"{prefix}\""),
            )
        }
        LinkError::UnknownCourt => (
            Code::NotFound,
            reason::UNKNOWN_COURT,
            "no such court".into(),
        ),
        LinkError::FlowNotFoundOrExpired => (
            Code::FailedPrecondition,
            reason::FLOW_NOT_FOUND_OR_EXPIRED,
            "the link flow was not found or has expired; sign in to PACER again".into(),
        ),
        LinkError::FlowStepOutOfOrder { expected } => (
            Code::FailedPrecondition,
            reason::FLOW_STEP_OUT_OF_ORDER,
            format!("this step is out of order: {expected}"),
        ),
        LinkError::AlreadyExists(conflict) => {
            let (reason, message) = describe_conflict(*conflict);
            (Code::AlreadyExists, reason, message.into())
        }
        LinkError::Overloaded { .. } => (
            Code::ResourceExhausted,
            reason::OVERLOADED,
            "too many sign-ins are in progress; retry after the delay in RetryInfo".into(),
        ),
        // Only ever answered once the password is proven, so it does not
        // help anyone guessing passwords.
        LinkError::MfaRequired => (
            Code::Unauthenticated,
            reason::MFA_REQUIRED,
            "a valid one-time code from the enrolled authenticator is required".into(),
        ),
        LinkError::RequestInProgress => (
            Code::Aborted,
            reason::REQUEST_IN_PROGRESS,
            "a call with this request_id is still running; retry shortly for its answer".into(),
        ),
        LinkError::RequestIdReused => (
            Code::InvalidArgument,
            reason::REQUEST_ID_REUSED,
            "this request_id was used for a different request; use a new one".into(),
        ),
        LinkError::TotpNotConfigured => (
            Code::FailedPrecondition,
            reason::TOTP_NOT_CONFIGURED,
            "second factors need PACER_LINK_TOTP_KEY to be configured".into(),
        ),
        LinkError::Unavailable(_) => (
            Code::Unavailable,
            reason::DATABASE_UNAVAILABLE,
            "the service is temporarily unavailable; retry shortly".into(),
        ),
        LinkError::Internal(_) => (Code::Internal, reason::INTERNAL, "internal error".into()),
        LinkError::AccountNotFound => (
            Code::NotFound,
            reason::ACCOUNT_NOT_FOUND,
            "no such account".into(),
        ),
        LinkError::EcfAccountNotLinked => (
            Code::FailedPrecondition,
            reason::ECF_ACCOUNT_NOT_LINKED,
            "this CM/ECF account is not linked".into(),
        ),
        LinkError::PacerAccountNotLinked => (
            Code::FailedPrecondition,
            reason::PACER_ACCOUNT_NOT_LINKED,
            "this PACER account has no filing privileges in this court; if you use CM/ECF \
             for PACER only, no action is necessary"
                .into(),
        ),
        // Unwrapped by the caller; describe the inner error all the same.
        LinkError::InBatch { error, .. } => describe_link(error, violations),
    }
}

fn describe_conflict(conflict: Conflict) -> (&'static str, &'static str) {
    match conflict {
        Conflict::Court => (reason::COURT_ALREADY_EXISTS, "the court already exists"),
        Conflict::PacerAccount => (
            reason::PACER_ACCOUNT_ALREADY_EXISTS,
            "the PACER account already exists",
        ),
        Conflict::EcfAccount => (
            reason::ECF_ACCOUNT_ALREADY_EXISTS,
            "the CM/ECF account already exists",
        ),
        Conflict::EcfAccountLinked => (
            reason::ECF_ACCOUNT_ALREADY_LINKED,
            "the CM/ECF account is already linked",
        ),
        Conflict::PacerAccountLinked => (
            reason::PACER_ACCOUNT_ALREADY_LINKED,
            "the PACER account is already linked",
        ),
    }
}
