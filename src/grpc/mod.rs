//! The gRPC edge: proto <-> domain conversion, the error mapping, and one
//! adapter per proto service.
mod admin_auth;
mod admin_service;
mod convert;
mod error;
mod link_service;

pub use admin_auth::AdminAuth;
pub use admin_service::AccountAdminApi;
pub use error::ERROR_DOMAIN;
pub use link_service::AccountLinkApi;
