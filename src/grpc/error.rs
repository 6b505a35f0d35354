//! The one mapping from `LinkError` to `tonic::Status`: a code, a fixed
//! message, and a `google.rpc.ErrorInfo` whose reason clients switch on.
use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::linking::LinkError;
use crate::store::Conflict;

/// The `ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "pacer-link";

/// The reason of a sign-in shed because the hashing queue is full.
pub const OVERLOADED: &str = "OVERLOADED";

impl From<LinkError> for Status {
    fn from(error: LinkError) -> Self {
        let mut violations = Vec::new();
        let mut metadata = HashMap::new();
        let error = match error {
            LinkError::InBatch { index, error } => {
                metadata.insert("index".to_owned(), index.to_string());
                *error
            }
            other => other,
        };
        let (code, reason, message) = describe(&error, &mut violations);
        crate::audit::note_reason(reason);
        let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata);
        if !violations.is_empty() {
            details.set_bad_request(violations);
        }
        if let LinkError::Overloaded { retry_after } | LinkError::SourceThrottled { retry_after } =
            &error
        {
            details.set_retry_info(Some(*retry_after));
        }
        Status::with_error_details(code, message, details)
    }
}

/// The code, reason and message of one error; field violations go to `violations`.
fn describe(
    error: &LinkError,
    violations: &mut Vec<FieldViolation>,
) -> (Code, &'static str, String) {
    match error {
            LinkError::InvalidArgument(bad) => {
                violations.extend(
                    bad.iter()
                        .map(|v| FieldViolation::new(v.field.clone(), v.description.clone())),
                );
                (
                    Code::InvalidArgument,
                    "INVALID_ARGUMENT",
                    "the request has invalid fields".into(),
                )
            }
            // One message for every way credentials can fail, so that the
            // answer never tells an attacker which usernames exist.
            LinkError::InvalidCredentials => (
                Code::Unauthenticated,
                "INVALID_CREDENTIALS",
                "the username or password is incorrect".into(),
            ),
            LinkError::PacerAccountNotUpgraded => (
                Code::FailedPrecondition,
                "PACER_ACCOUNT_NOT_UPGRADED",
                "this PACER account has not been upgraded; upgrade it before linking".into(),
            ),
            LinkError::PacerAccountAlreadyLinked => (
                Code::AlreadyExists,
                "PACER_ACCOUNT_ALREADY_LINKED",
                "this PACER account is already linked to a CM/ECF account in this court".into(),
            ),
            LinkError::EcfAccountAlreadyLinked => (
                Code::AlreadyExists,
                "ECF_ACCOUNT_ALREADY_LINKED",
                "this CM/ECF account is already linked to a PACER account".into(),
            ),
            LinkError::EcfLoginPrefixMismatch { prefix } => {
                let description = format!("must begin with \"{prefix}\" in this court");
                violations.push(FieldViolation::new("ecf_login", description));
                (
                    Code::InvalidArgument,
                    "ECF_LOGIN_PREFIX_MISMATCH",
                    format!("CM/ECF logins in this court begin with \"{prefix}\""),
                )
            }
            LinkError::UnknownCourt => (Code::NotFound, "UNKNOWN_COURT", "no such court".into()),
            LinkError::FlowNotFoundOrExpired => (
                Code::FailedPrecondition,
                "FLOW_NOT_FOUND_OR_EXPIRED",
                "the link flow was not found or has expired; sign in to PACER again".into(),
            ),
            LinkError::FlowStepOutOfOrder { expected } => (
                Code::FailedPrecondition,
                "FLOW_STEP_OUT_OF_ORDER",
                format!("this step is out of order: {expected}"),
            ),
            LinkError::AlreadyExists(conflict) => {
                let (reason, message) = match conflict {
                    Conflict::Court => ("COURT_ALREADY_EXISTS", "the court already exists"),
                    Conflict::PacerAccount => (
                        "PACER_ACCOUNT_ALREADY_EXISTS",
                        "the PACER account already exists",
                    ),
                    Conflict::EcfAccount => (
                        "ECF_ACCOUNT_ALREADY_EXISTS",
                        "the CM/ECF account already exists",
                    ),
                    Conflict::EcfAccountLinked => (
                        "ECF_ACCOUNT_ALREADY_LINKED",
                        "the CM/ECF account is already linked",
                    ),
                    Conflict::PacerAccountLinked => (
                        "PACER_ACCOUNT_ALREADY_LINKED",
                        "the PACER account is already linked",
                    ),
                };
                (Code::AlreadyExists, reason, message.into())
            }
            LinkError::AdminUnauthenticated => (
                Code::Unauthenticated,
                "ADMIN_UNAUTHENTICATED",
                "admin calls need a valid \"authorization: Bearer <token>\"".into(),
            ),
            LinkError::Overloaded { .. } => (
                Code::ResourceExhausted,
                OVERLOADED,
                "too many sign-ins are in progress; retry after the delay in RetryInfo".into(),
            ),
            LinkError::SourceThrottled { .. } => (
                Code::ResourceExhausted,
                "TOO_MANY_ATTEMPTS",
                "too many attempts from this address; retry after the delay in RetryInfo".into(),
            ),
            // Only ever answered once the password is proven, so it does not
            // help anyone guessing passwords.
            LinkError::MfaRequired => (
                Code::Unauthenticated,
                "MFA_REQUIRED",
                "a valid one-time code from the enrolled authenticator is required".into(),
            ),
            LinkError::TotpNotConfigured => (
                Code::FailedPrecondition,
                "TOTP_NOT_CONFIGURED",
                "second factors need PACER_LINK_TOTP_KEY to be configured".into(),
            ),
            LinkError::Unavailable(why) => {
                tracing::warn!(error = %why, "database unavailable");
                crate::metrics::metrics().db_unavailable.inc();
                (
                    Code::Unavailable,
                    "DATABASE_UNAVAILABLE",
                    "the service is temporarily unavailable; retry shortly".into(),
                )
            }
            LinkError::Internal(why) => {
                tracing::error!(error = %why, "internal error");
                (Code::Internal, "INTERNAL", "internal error".into())
            }
            LinkError::AccountNotFound => (Code::NotFound, "ACCOUNT_NOT_FOUND", "no such account".into()),
            LinkError::EcfAccountNotLinked => (
                Code::FailedPrecondition,
                "ECF_ACCOUNT_NOT_LINKED",
                "this CM/ECF account is not linked".into(),
            ),
            LinkError::PacerAccountNotLinked => (
                Code::FailedPrecondition,
                "PACER_ACCOUNT_NOT_LINKED",
                "this PACER account has no filing privileges in this court; if you use CM/ECF \
                 for PACER only, no action is necessary"
                    .into(),
            ),
            LinkError::EventStreamLagging => (
                Code::Aborted,
                "EVENT_STREAM_LAGGING",
                "the consumer fell too far behind; resume with after_sequence set to the last sequence received".into(),
            ),
            LinkError::ShuttingDown => (
                Code::Unavailable,
                "SERVER_SHUTTING_DOWN",
                "the server is shutting down; resume from the last sequence received".into(),
            ),
            // Unwrapped by the caller; describe the inner error all the same.
            LinkError::InBatch { error, .. } => describe(error, violations),
    }
}
