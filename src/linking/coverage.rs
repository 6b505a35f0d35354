//! For the clerk's office: how far a court's filers have linked, and who has
//! not yet, before the legacy CM/ECF logins are switched off.
use super::{AdminService, LinkError};
use crate::domain::{CourtId, EcfLogin};
use crate::store::{CoverageCounts, EcfAccountListing, LinkStateFilter};

/// A page of a court's CM/ECF accounts to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcfAccountQuery {
    /// The court.
    pub court_id: CourtId,
    /// Which accounts.
    pub state: LinkStateFilter,
    /// The last login of the previous page.
    pub after: Option<EcfLogin>,
    /// At most this many.
    pub page_size: u32,
}

/// One page of accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcfAccountPage {
    /// The accounts, in login order.
    pub accounts: Vec<EcfAccountListing>,
    /// The login to continue after, when there may be more.
    pub next_after: Option<String>,
}

impl AdminService {
    /// The court's coverage counts.
    pub async fn link_coverage(&self, court: &CourtId) -> Result<CoverageCounts, LinkError> {
        self.store
            .court(court)
            .await?
            .ok_or(LinkError::UnknownCourt)?;
        Ok(self.store.link_coverage(court).await?)
    }

    /// One page of the court's CM/ECF accounts.
    pub async fn ecf_accounts(&self, query: &EcfAccountQuery) -> Result<EcfAccountPage, LinkError> {
        self.store
            .court(&query.court_id)
            .await?
            .ok_or(LinkError::UnknownCourt)?;
        let accounts = self
            .store
            .ecf_accounts(
                &query.court_id,
                query.state,
                query.after.as_ref(),
                query.page_size,
            )
            .await?;
        let full = accounts.len() == query.page_size as usize;
        let next_after = full
            .then(|| accounts.last().map(|a| a.login.clone()))
            .flatten();
        Ok(EcfAccountPage {
            accounts,
            next_after,
        })
    }
}
