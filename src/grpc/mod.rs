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
mod oversize;
mod requests;

pub use admin_auth::AdminAuth;
pub use admin_service::AccountAdminApi;
pub use error::{ApiError, caller_not_allowed, end_user_address_required, throttled};
pub use filer_auth_service::FilerAuthApi;
pub use link_service::AccountLinkApi;
pub use link_status_service::LinkStatusApi;
pub use oversize::OversizeLayer;

/// The demo's accounts, read from its import file as `pacer-link import`
/// reads one and checked as `ImportAccounts` checks each record
/// (re-exported as `startup::demo_accounts`).
pub fn demo_accounts() -> anyhow::Result<Vec<crate::store::ImportAccount>> {
    let lines = crate::linking::demo::ACCOUNTS_JSONL.lines().enumerate();
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let record = crate::client::records::parse_line(line)
                .map_err(|e| anyhow::anyhow!("demo/accounts.jsonl line {}: {e}", n + 1))?;
            convert::import::account(Some(record)).map_err(|(reason, field)| {
                anyhow::anyhow!("demo/accounts.jsonl line {}: {reason} ({field})", n + 1)
            })
        })
        .collect()
}
