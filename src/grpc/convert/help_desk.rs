//! Conversions for GetAccountSecurity and UnlockAccount.
use crate::domain::{CourtId, EcfLogin, PacerUsername, UnlinkReason, Violations};
use crate::linking::{AccountSecurity, LinkError, UnlockAccount};
use crate::proto::{self, get_account_security_request as get, unlock_account_request as unlock};
use crate::store::PasswordOwner;

use super::timestamp;

/// The account either request names, whichever oneof it came in.
enum Selector<'a> {
    Pacer(&'a str),
    Ecf(&'a proto::EcfAccountSelector),
}

impl<'a> From<&'a get::Account> for Selector<'a> {
    fn from(account: &'a get::Account) -> Self {
        match account {
            get::Account::PacerUsername(username) => Self::Pacer(username),
            get::Account::EcfAccount(ecf) => Self::Ecf(ecf),
        }
    }
}

impl<'a> From<&'a unlock::Account> for Selector<'a> {
    fn from(account: &'a unlock::Account) -> Self {
        match account {
            unlock::Account::PacerUsername(username) => Self::Pacer(username),
            unlock::Account::EcfAccount(ecf) => Self::Ecf(ecf),
        }
    }
}

fn account(selector: Option<Selector<'_>>, v: &mut Violations) -> Option<PasswordOwner> {
    match selector {
        None => v.check(
            "account",
            Err("set pacer_username or ecf_account".to_owned()),
        ),
        Some(Selector::Pacer(raw)) => v
            .check("pacer_username", PacerUsername::parse(raw))
            .map(PasswordOwner::Pacer),
        Some(Selector::Ecf(ecf)) => {
            let court = v.check("ecf_account.court_id", CourtId::parse(&ecf.court_id));
            let login = v.check("ecf_account.ecf_login", EcfLogin::parse(&ecf.ecf_login));
            Some(PasswordOwner::Ecf(court?, login?))
        }
    }
}

impl TryFrom<proto::GetAccountSecurityRequest> for PasswordOwner {
    type Error = LinkError;
    fn try_from(r: proto::GetAccountSecurityRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let account = account(r.account.as_ref().map(Selector::from), &mut v);
        Ok(v.finish(|| account)?)
    }
}

impl TryFrom<proto::UnlockAccountRequest> for UnlockAccount {
    type Error = LinkError;
    fn try_from(r: proto::UnlockAccountRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let account = account(r.account.as_ref().map(Selector::from), &mut v);
        let reason = v.check("reason", UnlinkReason::parse(&r.reason));
        Ok(v.finish(|| {
            Some(Self {
                account: account?,
                reason: reason?,
            })
        })?)
    }
}

impl From<AccountSecurity> for proto::GetAccountSecurityResponse {
    fn from(s: AccountSecurity) -> Self {
        Self {
            locked_until: s.locked_until.map(timestamp),
            consecutive_failures: s.consecutive_failures,
            failures_last_hour: s.failures_last_hour,
            last_success_time: s.last_success_at.map(timestamp),
            last_failure_time: s.last_failure_at.map(timestamp),
            mfa_enrolled: s.mfa_enrolled,
            linked: s.linked,
            mfa_locked_until: s.mfa_locked_until.map(timestamp),
        }
    }
}
