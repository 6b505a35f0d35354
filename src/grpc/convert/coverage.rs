//! Conversions for GetLinkCoverage and ListEcfAccounts. A page token carries
//! the listing's court and link state with the last login, so a token used
//! with other filters is refused instead of silently paging another list.
use base64ct::{Base64UrlUnpadded, Encoding};

use super::timestamp;
use crate::domain::{CourtId, EcfLogin, Violations};
use crate::linking::{EcfAccountPage, EcfAccountQuery, LinkError};
use crate::proto::{self, LinkState};
use crate::store::{CoverageCounts, LinkStateFilter};

const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 1000;

impl TryFrom<proto::GetLinkCoverageRequest> for CourtId {
    type Error = LinkError;
    fn try_from(r: proto::GetLinkCoverageRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court = v.check("court_id", CourtId::parse(&r.court_id));
        Ok(v.finish(|| court)?)
    }
}

/// The answer for `court`.
pub fn coverage(court: &CourtId, c: CoverageCounts) -> proto::LinkCoverage {
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    proto::LinkCoverage {
        court_id: court.as_str().to_owned(),
        ecf_accounts: count(c.ecf_accounts),
        linked: count(c.linked),
        unlinked: count(c.ecf_accounts - c.linked),
        unlinked_with_failed_attempts: count(c.unlinked_with_failed_attempts),
    }
}

fn state_of(raw: i32) -> Result<LinkStateFilter, String> {
    match LinkState::try_from(raw) {
        Ok(LinkState::Unspecified | LinkState::Any) => Ok(LinkStateFilter::Any),
        Ok(LinkState::Linked) => Ok(LinkStateFilter::Linked),
        Ok(LinkState::Unlinked) => Ok(LinkStateFilter::Unlinked),
        Err(_) => Err(format!("{raw} is not a LinkState")),
    }
}

/// The token of the page after `login` in the listing `court`/`state`.
fn token(court: &CourtId, state: LinkStateFilter, login: &str) -> String {
    Base64UrlUnpadded::encode_string(format!("{state:?}\n{}\n{login}", court.as_str()).as_bytes())
}

/// The login a token continues after, if it was issued for `court`/`state`.
fn after(raw: &str, court: &CourtId, state: LinkStateFilter) -> Result<EcfLogin, String> {
    let foreign = || "is not a token of this court and link_state's listing".to_owned();
    let bytes = Base64UrlUnpadded::decode_vec(raw).map_err(|_| foreign())?;
    let text = String::from_utf8(bytes).map_err(|_| foreign())?;
    let mut parts = text.splitn(3, '\n');
    let (Some(s), Some(c), Some(login)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(foreign());
    };
    if s != format!("{state:?}") || c != court.as_str() {
        return Err(foreign());
    }
    EcfLogin::parse(login).map_err(|_| foreign())
}

impl TryFrom<proto::ListEcfAccountsRequest> for EcfAccountQuery {
    type Error = LinkError;
    fn try_from(r: proto::ListEcfAccountsRequest) -> Result<Self, LinkError> {
        let mut v = Violations::default();
        let court = v.check("court_id", CourtId::parse(&r.court_id));
        let state = v.check("link_state", state_of(r.link_state));
        let page_size = match r.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let after = match (&court, state) {
            _ if r.page_token.is_empty() => Some(None),
            (Some(court), Some(state)) => v
                .check("page_token", after(&r.page_token, court, state))
                .map(Some),
            _ => None,
        };
        Ok(v.finish(|| {
            Some(Self {
                court_id: court?,
                state: state?,
                after: after?,
                page_size,
            })
        })?)
    }
}

/// The answer for `query`'s page.
pub fn page(query: &EcfAccountQuery, page: EcfAccountPage) -> proto::ListEcfAccountsResponse {
    proto::ListEcfAccountsResponse {
        next_page_token: page
            .next_after
            .map(|login| token(&query.court_id, query.state, &login))
            .unwrap_or_default(),
        accounts: page
            .accounts
            .into_iter()
            .map(|a| proto::EcfAccountListing {
                login: a.login,
                display_name: a.display_name,
                linked: a.link.is_some(),
                linked_at: a.link.as_ref().map(|(_, at)| timestamp(*at)),
                pacer_username: a.link.map(|(pacer, _)| pacer).unwrap_or_default(),
                last_failure_time: a.last_failed_at.map(timestamp),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_continues_only_its_own_listing() {
        let cod = CourtId::parse("cod").unwrap();
        let ksd = CourtId::parse("ksd").unwrap();
        let issued = token(&cod, LinkStateFilter::Unlinked, "coalice");

        let same = after(&issued, &cod, LinkStateFilter::Unlinked);
        let other_state = after(&issued, &cod, LinkStateFilter::Any);
        let other_court = after(&issued, &ksd, LinkStateFilter::Unlinked);

        assert_eq!(same.unwrap().as_str(), "coalice");
        assert!(other_state.is_err() && other_court.is_err());
        assert!(after("not a token", &cod, LinkStateFilter::Any).is_err());
    }
}
