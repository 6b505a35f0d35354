//! The gRPC edge: proto <-> domain conversion, the error mapping, and one
//! adapter per proto service.
mod admin_auth;
mod admin_service;
mod convert;
mod error;
mod filer_auth_service;
mod link_service;
mod link_status_service;

pub use admin_auth::AdminAuth;
pub use admin_service::AccountAdminApi;
pub use error::{ERROR_DOMAIN, OVERLOADED};
pub use filer_auth_service::FilerAuthApi;
pub use link_service::AccountLinkApi;
pub use link_status_service::LinkStatusApi;
