//! The `google.rpc.ErrorInfo` reasons the API answers with: the strings
//! clients switch on, named once so that the error mapping, the telemetry
//! layer and the audit layer agree without importing one another.

/// An admin call's request_id names a call still running.
pub const REQUEST_IN_PROGRESS: &str = "REQUEST_IN_PROGRESS";
/// An admin call's request_id named a different request before.
pub const REQUEST_ID_REUSED: &str = "REQUEST_ID_REUSED";

/// The `ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "pacer-link";

/// Malformed input; `BadRequest` lists the fields.
pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";
/// Unknown account, wrong password, retired password or locked account.
pub const INVALID_CREDENTIALS: &str = "INVALID_CREDENTIALS";
/// The PACER account has not been upgraded.
pub const PACER_ACCOUNT_NOT_UPGRADED: &str = "PACER_ACCOUNT_NOT_UPGRADED";
/// The PACER account already has a link in this court.
pub const PACER_ACCOUNT_ALREADY_LINKED: &str = "PACER_ACCOUNT_ALREADY_LINKED";
/// The CM/ECF account already has a link.
pub const ECF_ACCOUNT_ALREADY_LINKED: &str = "ECF_ACCOUNT_ALREADY_LINKED";
/// The CM/ECF login lacks the court's prefix.
pub const ECF_LOGIN_PREFIX_MISMATCH: &str = "ECF_LOGIN_PREFIX_MISMATCH";
/// No such court.
pub const UNKNOWN_COURT: &str = "UNKNOWN_COURT";
/// An imported record differs from the stored account and the import may not
/// replace it (`update_existing` unset).
pub const CONFLICT: &str = "CONFLICT";
/// An imported password hash is in no accepted format, is malformed, or has
/// cost parameters out of bounds (a plaintext password is one of these).
pub const UNSUPPORTED_PASSWORD_HASH: &str = "UNSUPPORTED_PASSWORD_HASH";
/// A line of an import file is not a JSON account record (reported by the
/// `pacer-link import` client, never sent by the server).
pub const INVALID_JSON: &str = "INVALID_JSON";
/// Unknown, expired or finished flow token.
pub const FLOW_NOT_FOUND_OR_EXPIRED: &str = "FLOW_NOT_FOUND_OR_EXPIRED";
/// A flow step was called before the one it depends on.
pub const FLOW_STEP_OUT_OF_ORDER: &str = "FLOW_STEP_OUT_OF_ORDER";
/// The court id is taken.
pub const COURT_ALREADY_EXISTS: &str = "COURT_ALREADY_EXISTS";
/// The PACER username is taken.
pub const PACER_ACCOUNT_ALREADY_EXISTS: &str = "PACER_ACCOUNT_ALREADY_EXISTS";
/// The CM/ECF login is taken in that court.
pub const ECF_ACCOUNT_ALREADY_EXISTS: &str = "ECF_ACCOUNT_ALREADY_EXISTS";
/// A missing or wrong admin token.
pub const ADMIN_UNAUTHENTICATED: &str = "ADMIN_UNAUTHENTICATED";
/// The caller policy does not let this caller call this method.
pub const CALLER_NOT_ALLOWED: &str = "CALLER_NOT_ALLOWED";
/// A sign-in shed because the hashing queue is full.
pub const OVERLOADED: &str = "OVERLOADED";
/// A front-end's sign-in without the filer's address in `end-user-address`.
pub const END_USER_ADDRESS_REQUIRED: &str = "END_USER_ADDRESS_REQUIRED";
/// Too many attempts from one source address.
pub const TOO_MANY_ATTEMPTS: &str = "TOO_MANY_ATTEMPTS";
/// The PACER account needs a valid one-time code.
pub const MFA_REQUIRED: &str = "MFA_REQUIRED";
/// Second factors need `PACER_LINK_TOTP_KEY`.
pub const TOTP_NOT_CONFIGURED: &str = "TOTP_NOT_CONFIGURED";
/// The database could not be reached in time.
pub const DATABASE_UNAVAILABLE: &str = "DATABASE_UNAVAILABLE";
/// A bug or a corrupt row; details are in the server's log only.
pub const INTERNAL: &str = "INTERNAL";
/// The account asked about does not exist.
pub const ACCOUNT_NOT_FOUND: &str = "ACCOUNT_NOT_FOUND";
/// The CM/ECF account has no link.
pub const ECF_ACCOUNT_NOT_LINKED: &str = "ECF_ACCOUNT_NOT_LINKED";
/// The PACER account has no link in this court.
pub const PACER_ACCOUNT_NOT_LINKED: &str = "PACER_ACCOUNT_NOT_LINKED";
/// Too many event streams are open, in all or for this caller.
pub const TOO_MANY_STREAMS: &str = "TOO_MANY_STREAMS";
/// An event stream's consumer fell too far behind.
pub const EVENT_STREAM_LAGGING: &str = "EVENT_STREAM_LAGGING";
/// The server is shutting down.
pub const SERVER_SHUTTING_DOWN: &str = "SERVER_SHUTTING_DOWN";
/// A request message is larger than the server accepts.
pub const MESSAGE_TOO_LARGE: &str = "MESSAGE_TOO_LARGE";

/// Every reason above, in the order of the proto's `ErrorReason` enum.
pub const ALL: [&str; 33] = [
    INVALID_ARGUMENT,
    INVALID_CREDENTIALS,
    PACER_ACCOUNT_NOT_UPGRADED,
    PACER_ACCOUNT_ALREADY_LINKED,
    ECF_ACCOUNT_ALREADY_LINKED,
    ECF_LOGIN_PREFIX_MISMATCH,
    UNKNOWN_COURT,
    CONFLICT,
    UNSUPPORTED_PASSWORD_HASH,
    INVALID_JSON,
    FLOW_NOT_FOUND_OR_EXPIRED,
    FLOW_STEP_OUT_OF_ORDER,
    COURT_ALREADY_EXISTS,
    PACER_ACCOUNT_ALREADY_EXISTS,
    ECF_ACCOUNT_ALREADY_EXISTS,
    ADMIN_UNAUTHENTICATED,
    CALLER_NOT_ALLOWED,
    OVERLOADED,
    END_USER_ADDRESS_REQUIRED,
    TOO_MANY_ATTEMPTS,
    MFA_REQUIRED,
    TOTP_NOT_CONFIGURED,
    DATABASE_UNAVAILABLE,
    INTERNAL,
    ACCOUNT_NOT_FOUND,
    ECF_ACCOUNT_NOT_LINKED,
    PACER_ACCOUNT_NOT_LINKED,
    TOO_MANY_STREAMS,
    EVENT_STREAM_LAGGING,
    SERVER_SHUTTING_DOWN,
    MESSAGE_TOO_LARGE,
    REQUEST_IN_PROGRESS,
    REQUEST_ID_REUSED,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ErrorReason;

    #[test]
    fn the_proto_enum_lists_every_reason_and_no_other() {
        for (number, reason) in (1..).zip(ALL) {
            let listed = ErrorReason::from_str_name(reason);
            assert_eq!(listed.map(|r| r as i32), Some(number), "{reason}");
        }
        let past_the_end = i32::try_from(ALL.len()).unwrap() + 1;
        assert!(ErrorReason::try_from(past_the_end).is_err());
    }
}
