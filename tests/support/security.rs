//! Helpers for second factors, the audit trail and caller-address tests.
use pacer_link::{mfa, proto};

use super::app::{TestApp, admin_request};

/// The secret the second-factor tests enroll (RFC 6238's test secret).
pub const TOTP_SECRET: &[u8] = b"12345678901234567890";

impl TestApp {
    /// Enrolls `TOTP_SECRET` for a PACER account.
    pub async fn enroll_totp(
        &self,
        username: &str,
    ) -> Result<proto::EnrollTotpResponse, tonic::Status> {
        self.admin
            .clone()
            .enroll_totp(admin_request(proto::EnrollTotpRequest {
                request_id: String::new(),
                username: username.into(),
                secret_base32: mfa::base32_encode(TOTP_SECRET),
                remove: false,
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// The code of `TOTP_SECRET` at the server's time, `steps` steps away.
    pub fn totp_code(&self, steps: i64) -> String {
        use pacer_link::clock::Clock;
        let step = mfa::step_at(self.clock.now().timestamp()) + steps;
        String::from_utf8(mfa::code_at(TOTP_SECRET, step).to_vec()).unwrap()
    }

    /// A page of the audit trail.
    pub async fn audit(
        &self,
        request: proto::ListAuditEventsRequest,
    ) -> Result<proto::ListAuditEventsResponse, tonic::Status> {
        self.admin
            .clone()
            .list_audit_events(admin_request(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every audit event, oldest first.
    pub async fn audit_trail(&self) -> Vec<proto::AuditEvent> {
        let mut events = self
            .audit(proto::ListAuditEventsRequest {
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("ListAuditEvents")
            .events;
        events.reverse();
        events
    }
}
