//! Link status for other court services, and CM/ECF sign-in with PACER
//! credentials (step 6).
use std::collections::BTreeMap;
use std::sync::Arc;

use super::Credentials;
use super::status_cache::StatusCache;
use super::{
    AuthenticateFiler, FilerIdentity, LinkError, LinkStatusView, StatusQuery, StatusSubject,
};
use crate::audit::AuditFacts;
use crate::domain::CourtId;
use crate::store::{AccountKey, AccountStatus, Store};

fn key_of(query: &StatusQuery) -> AccountKey {
    match &query.subject {
        StatusSubject::Ecf(login) => AccountKey::Ecf(login.clone()),
        StatusSubject::Pacer(username) => AccountKey::Pacer(username.clone()),
    }
}

/// The answer to `query` from what the store found (`None`: no such court).
fn view(query: &StatusQuery, status: Option<AccountStatus>) -> Result<LinkStatusView, LinkError> {
    let status = status.ok_or(LinkError::UnknownCourt)?;
    if !status.exists {
        return Err(LinkError::AccountNotFound);
    }
    let (ecf_login, pacer_username) = match (&query.subject, &status.link) {
        (_, Some(link)) => (
            Some(link.ecf_login.clone()),
            Some(link.pacer_username.clone()),
        ),
        (StatusSubject::Ecf(login), None) => (Some(login.clone()), None),
        (StatusSubject::Pacer(username), None) => (None, Some(username.clone())),
    };
    Ok(LinkStatusView {
        court_id: query.court_id.clone(),
        ecf_login,
        pacer_username,
        linked_at: status.link.map(|l| l.linked_at),
    })
}

/// The most lookups one batch may carry.
pub const MAX_BATCH: usize = 1000;

/// Answers who is linked, and signs filers in to CM/ECF.
#[derive(Clone)]
pub struct StatusService {
    store: Arc<dyn Store>,
    credentials: Credentials,
    cache: Option<Arc<StatusCache>>,
}

impl StatusService {
    /// A status service over `store`, answering lookups from `cache` when given.
    pub fn new(
        store: Arc<dyn Store>,
        credentials: Credentials,
        cache: Option<Arc<StatusCache>>,
    ) -> Self {
        Self {
            store,
            credentials,
            cache,
        }
    }

    async fn account_status(
        &self,
        court: &CourtId,
        key: &AccountKey,
    ) -> Result<Option<AccountStatus>, LinkError> {
        let Some(cache) = &self.cache else {
            return Ok(self.store.account_status(court, key).await?);
        };
        let epoch = match cache.get(court, key) {
            Ok(status) => return Ok(Some(status)),
            Err(epoch) => epoch,
        };
        let status = self.store.account_status(court, key).await?;
        if let Some(status) = &status {
            cache.put(court, key, status, epoch);
        }
        Ok(status)
    }

    /// Succeeds when the court exists.
    pub async fn ensure_court(&self, court: &CourtId) -> Result<(), LinkError> {
        self.credentials.court(court).await?;
        Ok(())
    }

    /// The status of one account.
    pub async fn link_status(&self, query: &StatusQuery) -> Result<LinkStatusView, LinkError> {
        let status = self.account_status(&query.court_id, &key_of(query)).await?;
        view(query, status)
    }

    /// Many statuses, in request order; the first failure fails the batch
    /// and names its position. Answers come from the cache where it has
    /// them; the rest of each court's are read together, in a few
    /// statements rather than one each.
    pub async fn batch_link_status(
        &self,
        queries: &[StatusQuery],
    ) -> Result<Vec<LinkStatusView>, LinkError> {
        let keys: Vec<AccountKey> = queries.iter().map(key_of).collect();
        // Outer `None`: not looked up yet; inner `None`: no such court.
        let mut answers: Vec<Option<Option<AccountStatus>>> = vec![None; queries.len()];
        let mut misses: BTreeMap<&str, Vec<(usize, Option<u64>)>> = BTreeMap::new();
        for (index, query) in queries.iter().enumerate() {
            let cached = self
                .cache
                .as_ref()
                .map(|c| c.get(&query.court_id, &keys[index]));
            match cached {
                Some(Ok(status)) => answers[index] = Some(Some(status)),
                Some(Err(epoch)) => misses
                    .entry(query.court_id.as_str())
                    .or_default()
                    .push((index, Some(epoch))),
                None => misses
                    .entry(query.court_id.as_str())
                    .or_default()
                    .push((index, None)),
            }
        }
        for asked in misses.into_values() {
            let court = &queries[asked[0].0].court_id;
            let accounts: Vec<AccountKey> = asked.iter().map(|(i, _)| keys[*i].clone()).collect();
            let statuses = self
                .store
                .account_statuses(court, &accounts)
                .await
                .map_err(|error| LinkError::InBatch {
                    index: asked[0].0,
                    error: Box::new(error.into()),
                })?;
            let Some(statuses) = statuses else {
                for (index, _) in asked {
                    answers[index] = Some(None);
                }
                continue;
            };
            for ((index, epoch), status) in asked.into_iter().zip(statuses) {
                if let (Some(cache), Some(epoch)) = (&self.cache, epoch) {
                    cache.put(court, &keys[index], &status, epoch);
                }
                answers[index] = Some(Some(status));
            }
        }
        queries
            .iter()
            .zip(answers)
            .enumerate()
            .map(|(index, (query, answer))| {
                view(query, answer.flatten()).map_err(|error| LinkError::InBatch {
                    index,
                    error: Box::new(error),
                })
            })
            .collect()
    }

    /// Signs a filer in to CM/ECF with PACER credentials: the filer account
    /// linked to that PACER account in the court.
    pub async fn authenticate_filer(
        &self,
        cmd: AuthenticateFiler,
        facts: &AuditFacts,
    ) -> Result<FilerIdentity, LinkError> {
        // Retired CM/ECF logins are not PACER usernames, so they are
        // checked against the dummy hash and refused like any unknown user.
        let (court, found) = self
            .credentials
            .sign_in_pacer(
                &cmd.court_id,
                &cmd.username,
                &cmd.password,
                cmd.otp_code.as_ref(),
                facts,
            )
            .await?;
        let account = found.account;
        // Authorisation reads the link afresh, after the proof, rather than
        // the one read with the account before the hash.
        let link = self
            .store
            .link_of_pacer(&court.id, &account.username)
            .await?
            .ok_or(LinkError::PacerAccountNotLinked)?;
        let ecf = self
            .store
            .ecf_account(&court.id, &link.ecf_login)
            .await?
            .ok_or_else(|| {
                LinkError::Internal("a link refers to a missing CM/ECF account".into())
            })?;
        Ok(FilerIdentity {
            ecf_account: ecf.into(),
            pacer_username: account.username,
        })
    }
}
