//! The gRPC edge: proto <-> domain conversion, the API's error and its one
//! mapping to a status, and one adapter per proto service.
mod admin_auth;
mod admin_service;
mod audited;
mod convert;
mod error;
mod filer_auth_service;
mod link_service;
mod link_status_service;

pub use admin_auth::AdminAuth;
pub use admin_service::AccountAdminApi;
pub use error::{ApiError, caller_not_allowed, end_user_address_required, throttled};
pub use filer_auth_service::FilerAuthApi;
pub use link_service::AccountLinkApi;
pub use link_status_service::LinkStatusApi;
