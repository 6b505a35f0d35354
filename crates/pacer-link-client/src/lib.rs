//! Clients and messages of pacer-link's `court.identity.v1` contract, for
//! services that call it: no database drivers, no server code.
//!
//! ```no_run
//! use pacer_link_client::v1::{
//!     GetLinkStatusRequest, get_link_status_request::Subject,
//!     link_status_service_client::LinkStatusServiceClient,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut status = LinkStatusServiceClient::connect("http://127.0.0.1:50051").await?;
//! let answer = status
//!     .get_link_status(GetLinkStatusRequest {
//!         court_id: "cod".into(),
//!         subject: Some(Subject::EcfLogin("coattorneytwo".into())),
//!     })
//!     .await?
//!     .into_inner();
//! println!("linked: {}", answer.linked);
//! # Ok(())
//! # }
//! ```
//!
//! Errors carry a `google.rpc.ErrorInfo` whose reason is one of
//! [`v1::ErrorReason`]'s names; [`reason`] reads it.
#![warn(missing_docs)]

/// The generated messages and clients of `court.identity.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("court.identity.v1");
}

use tonic_types::StatusExt;

/// The reason pacer-link gave for an error, if it gave one this build knows.
/// A reason added to the contract after this build reads as `None`: match
/// on the status code then.
pub fn reason(status: &tonic::Status) -> Option<v1::ErrorReason> {
    let info = status.get_details_error_info()?;
    (info.domain == "pacer-link")
        .then(|| v1::ErrorReason::from_str_name(&info.reason))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::ErrorDetails;

    #[test]
    fn the_reason_of_an_error_is_read_as_the_enum() {
        let details = ErrorDetails::with_error_info("INVALID_CREDENTIALS", "pacer-link", []);
        let status = tonic::Status::with_error_details(tonic::Code::Unauthenticated, "no", details);
        assert_eq!(reason(&status), Some(v1::ErrorReason::InvalidCredentials));
        let foreign = ErrorDetails::with_error_info("INVALID_CREDENTIALS", "elsewhere", []);
        let status = tonic::Status::with_error_details(tonic::Code::Unauthenticated, "no", foreign);
        assert_eq!(reason(&status), None);
        assert_eq!(reason(&tonic::Status::internal("x")), None);
    }
}
