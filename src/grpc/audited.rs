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

/// Each request's fields that name its court (`court`) and its account
/// (`subject`). Flow steps carry only the token, which is never recorded:
/// the domain names the flow's court and account once it has resolved it.
macro_rules! attributed {
    ($($message:ident => [$($field:ident: $fact:ident),*]),* $(,)?) => {$(
        impl Attributed for proto::$message {
            fn attribute(&self, facts: &AuditFacts) {
                let _ = facts;
                $(facts.$fact(&self.$field);)*
            }
        }
    )*};
}

attributed! {
    AuthenticatePacerRequest => [court_id: court, username: subject],
    VerifyEcfRequest => [ecf_login: subject],
    PreviewLinkRequest => [],
    ConfirmLinkRequest => [],
    GetCourtRequest => [court_id: court],
    AuthenticateFilerRequest => [court_id: court, username: subject],
    CreateCourtRequest => [court_id: court],
    CreatePacerAccountRequest => [username: subject],
    CreateEcfAccountRequest => [court_id: court, login: subject],
    UnlinkRequest => [court_id: court, ecf_login: subject, reason: detail],
    ResetEcfPasswordRequest => [court_id: court, ecf_login: subject],
    EnrollTotpRequest => [username: subject],
    RemoveTotpRequest => [username: subject],
    ListAuditEventsRequest => [],
    GetLinkCoverageRequest => [court_id: court],
    ListEcfAccountsRequest => [court_id: court],
}

/// A help-desk request names a PACER account, or a CM/ECF login with its
/// court; UnlockAccount also the operator's reason.
macro_rules! attributed_account {
    ($($message:ident => $oneof:ident $(, $detail:ident)?);* $(;)?) => {$(
        impl Attributed for proto::$message {
            fn attribute(&self, facts: &AuditFacts) {
                use proto::$oneof::Account;
                $(facts.detail(&self.$detail);)?
                match &self.account {
                    Some(Account::PacerUsername(username)) => {
                        facts.subject(username);
                    }
                    Some(Account::EcfAccount(ecf)) => {
                        facts.court(&ecf.court_id).subject(&ecf.ecf_login);
                    }
                    None => {}
                }
            }
        }
    )*};
}

attributed_account! {
    GetAccountSecurityRequest => get_account_security_request;
    UnlockAccountRequest => unlock_account_request, reason;
}
