//! What each audited request tells the trail about itself: its court and
//! account as given, read from the raw message before it is parsed, so that
//! a malformed request is attributed too. Passwords, tokens and codes are
//! never recorded.
use tonic::Request;

use crate::audit::AuditFacts;
use crate::proto;

/// A request message that names the court or account it acts on.
pub(super) trait Attributed {
    /// Records the message's court and subject.
    fn attribute(&self, facts: &AuditFacts);
}

/// The message of `request` and its call's audit facts, with the message's
/// court and subject already recorded.
pub(super) fn take<T: Attributed>(request: Request<T>) -> (T, AuditFacts) {
    let facts = AuditFacts::of(request.extensions());
    let message = request.into_inner();
    message.attribute(&facts);
    (message, facts)
}

/// Requests that name a court and an account in it.
macro_rules! court_and_subject {
    ($($message:ident { $court:ident, $subject:ident }),* $(,)?) => {$(
        impl Attributed for proto::$message {
            fn attribute(&self, facts: &AuditFacts) {
                facts.court(&self.$court).subject(&self.$subject);
            }
        }
    )*};
}

court_and_subject! {
    AuthenticatePacerRequest { court_id, username },
    AuthenticateFilerRequest { court_id, username },
    CreateEcfAccountRequest { court_id, login },
    UnlinkRequest { court_id, ecf_login },
    ResetEcfPasswordRequest { court_id, ecf_login },
}

impl Attributed for proto::VerifyEcfRequest {
    fn attribute(&self, facts: &AuditFacts) {
        facts.subject(&self.ecf_login);
    }
}

impl Attributed for proto::CreateCourtRequest {
    fn attribute(&self, facts: &AuditFacts) {
        facts.court(&self.court_id);
    }
}

impl Attributed for proto::CreatePacerAccountRequest {
    fn attribute(&self, facts: &AuditFacts) {
        facts.subject(&self.username);
    }
}

impl Attributed for proto::EnrollTotpRequest {
    fn attribute(&self, facts: &AuditFacts) {
        facts.subject(&self.username);
    }
}

/// Flow steps carry only the token, which is never recorded: the domain
/// names the flow's court and account once it has resolved the token.
macro_rules! unattributed {
    ($($message:ident),* $(,)?) => {$(
        impl Attributed for proto::$message {
            fn attribute(&self, _: &AuditFacts) {}
        }
    )*};
}

unattributed!(
    PreviewLinkRequest,
    ConfirmLinkRequest,
    ListAuditEventsRequest
);
