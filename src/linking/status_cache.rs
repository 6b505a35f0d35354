//! A cache of `GetLinkStatus` answers, kept correct by the event stream.
//!
//! Links change only through `ConfirmLink` and `Unlink`, and each appends
//! an event that every replica's hub broadcasts. The cache drops the two
//! accounts of every event it sees, so an answer is stale for at most the
//! event delivery delay (milliseconds with PostgreSQL notifications, at most
//! one outbox poll interval if a notification is lost), and never longer
//! than the entry lifetime, which covers a hub that cannot read the outbox.
//! Only existing accounts are cached: an account created later is always
//! looked up. `AuthenticateFiler` never reads this cache.
//!
//! Entries are kept by `moka`: at most [`CAPACITY`] of them (the least
//! recently and least often used go first) and none older than the lifetime.
use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use moka::sync::Cache;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use crate::domain::{CourtId, EcfLogin, PacerUsername};
use crate::store::{AccountKey, AccountStatus, LinkEventRecord};

/// Most entries kept.
const CAPACITY: u64 = 200_000;

/// Orders invalidations against stores: a store holds it shared, an
/// invalidation exclusively.
struct Guard {
    /// Bumped before every invalidation, so a lookup that read the database
    /// before an event does not store its answer after the event has been
    /// applied.
    epoch: u64,
    /// False once the event stream is gone: nothing could invalidate.
    following: bool,
}

/// Status answers keyed by court and account.
pub struct StatusCache {
    entries: Cache<String, AccountStatus>,
    guard: RwLock<Guard>,
}

fn key(court: &CourtId, account: &AccountKey) -> String {
    match account {
        AccountKey::Ecf(login) => format!("{}\u{0}e\u{0}{}", court.as_str(), login.as_str()),
        AccountKey::Pacer(user) => format!("{}\u{0}p\u{0}{}", court.as_str(), user.as_str()),
    }
}

impl StatusCache {
    /// A cache whose entries live at most `ttl`, invalidated by `events`.
    pub fn start(ttl: Duration, events: Receiver<Arc<LinkEventRecord>>) -> Arc<Self> {
        let cache = Arc::new(Self {
            entries: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build(),
            guard: RwLock::new(Guard {
                epoch: 0,
                following: true,
            }),
        });
        tokio::spawn(follow(Arc::downgrade(&cache), events));
        cache
    }

    fn shared(&self) -> std::sync::RwLockReadGuard<'_, Guard> {
        self.guard.read().unwrap_or_else(|e| e.into_inner())
    }

    fn exclusive(&self) -> std::sync::RwLockWriteGuard<'_, Guard> {
        self.guard.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh cached answer, and the epoch to pass to [`Self::put`] on a miss.
    pub fn get(&self, court: &CourtId, account: &AccountKey) -> Result<AccountStatus, u64> {
        // No entry survives the stream's end: `forget_all` drops them all and
        // `put` stores no more.
        match self.entries.get(&key(court, account)) {
            Some(status) => Ok(status),
            None => Err(self.shared().epoch),
        }
    }

    /// Stores what the database said, unless an event arrived since `epoch`.
    pub fn put(&self, court: &CourtId, account: &AccountKey, status: &AccountStatus, epoch: u64) {
        if !status.exists {
            return;
        }
        // Held until the entry is in, so no invalidation can fall between
        // the epoch check and the insert.
        let guard = self.shared();
        if guard.epoch == epoch && guard.following {
            self.entries.insert(key(court, account), status.clone());
        }
    }

    /// Drops both accounts of a link that was just made or removed. The
    /// replica that changed it calls this at once (so its own answers are
    /// never stale); every replica does it again when the event arrives.
    pub fn forget(&self, court: &CourtId, ecf_login: &EcfLogin, pacer: &PacerUsername) {
        let mut guard = self.exclusive();
        guard.epoch += 1;
        self.entries
            .invalidate(&key(court, &AccountKey::Ecf(ecf_login.clone())));
        self.entries
            .invalidate(&key(court, &AccountKey::Pacer(pacer.clone())));
    }

    fn forget_all(&self, following: bool) {
        let mut guard = self.exclusive();
        guard.epoch += 1;
        guard.following = following;
        self.entries.invalidate_all();
    }
}

async fn follow(cache: std::sync::Weak<StatusCache>, mut events: Receiver<Arc<LinkEventRecord>>) {
    loop {
        let received = events.recv().await;
        let Some(cache) = cache.upgrade() else { return };
        match received {
            Ok(event) => cache.forget(&event.court_id, &event.ecf_login, &event.pacer_username),
            // Missed events could have changed anything.
            Err(RecvError::Lagged(_)) => cache.forget_all(true),
            Err(RecvError::Closed) => {
                cache.forget_all(false);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::broadcast::{self, Sender};

    use super::*;
    use crate::store::LinkEventKind;

    const TTL: Duration = Duration::from_secs(60);

    fn court() -> CourtId {
        CourtId::parse("cod").unwrap()
    }

    fn ecf() -> EcfLogin {
        EcfLogin::parse("cojdoe").unwrap()
    }

    fn pacer() -> PacerUsername {
        PacerUsername::parse("jdoe").unwrap()
    }

    fn existing() -> AccountStatus {
        AccountStatus {
            exists: true,
            link: None,
        }
    }

    fn event(ecf_login: EcfLogin, pacer_username: PacerUsername) -> Arc<LinkEventRecord> {
        Arc::new(LinkEventRecord {
            sequence: 1,
            event_id: uuid::Uuid::new_v4(),
            kind: LinkEventKind::Linked,
            court_id: court(),
            ecf_login,
            pacer_username,
            occurred_at: chrono::Utc::now(),
        })
    }

    fn started(ttl: Duration, capacity: usize) -> (Arc<StatusCache>, Sender<Arc<LinkEventRecord>>) {
        let (events, receiver) = broadcast::channel(capacity);
        (StatusCache::start(ttl, receiver), events)
    }

    /// Stores the answer for `account` as a lookup that just missed would.
    fn look_up(cache: &StatusCache, account: &AccountKey) {
        let epoch = cache.get(&court(), account).unwrap_err();
        cache.put(&court(), account, &existing(), epoch);
    }

    /// Lets the task following the event stream catch up.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn a_stored_answer_is_served_until_its_accounts_are_forgotten() {
        let (cache, _events) = started(TTL, 16);
        let account = AccountKey::Ecf(ecf());
        look_up(&cache, &account);
        assert_eq!(cache.get(&court(), &account), Ok(existing()));

        cache.forget(&court(), &ecf(), &pacer());

        assert!(cache.get(&court(), &account).is_err());
    }

    #[tokio::test]
    async fn an_answer_read_before_an_invalidation_is_not_stored_after_it() {
        let (cache, _events) = started(TTL, 16);
        let account = AccountKey::Pacer(pacer());
        let epoch = cache.get(&court(), &account).unwrap_err();

        cache.forget(&court(), &ecf(), &pacer());
        cache.put(&court(), &account, &existing(), epoch);

        assert!(cache.get(&court(), &account).is_err());
    }

    #[tokio::test]
    async fn unknown_accounts_are_not_stored() {
        let (cache, _events) = started(TTL, 16);
        let account = AccountKey::Pacer(pacer());
        let epoch = cache.get(&court(), &account).unwrap_err();

        let unknown = AccountStatus {
            exists: false,
            link: None,
        };
        cache.put(&court(), &account, &unknown, epoch);

        assert!(cache.get(&court(), &account).is_err());
    }

    #[tokio::test]
    async fn answers_expire_after_the_entry_lifetime() {
        let (cache, _events) = started(Duration::from_millis(20), 16);
        let account = AccountKey::Pacer(pacer());
        look_up(&cache, &account);

        tokio::time::sleep(Duration::from_millis(60)).await;

        assert!(cache.get(&court(), &account).is_err());
    }

    #[tokio::test]
    async fn an_event_drops_both_of_its_accounts() {
        let (cache, events) = started(TTL, 16);
        look_up(&cache, &AccountKey::Ecf(ecf()));
        look_up(&cache, &AccountKey::Pacer(pacer()));

        events.send(event(ecf(), pacer())).unwrap();
        settle().await;

        assert!(cache.get(&court(), &AccountKey::Ecf(ecf())).is_err());
        assert!(cache.get(&court(), &AccountKey::Pacer(pacer())).is_err());
    }

    #[tokio::test]
    async fn missed_events_drop_everything_and_caching_goes_on() {
        let (cache, events) = started(TTL, 1);
        let account = AccountKey::Ecf(ecf());
        look_up(&cache, &account);

        // None of them names `account`, and all but the last are missed.
        for (login, username) in [
            ("cosmith", "jsmith"),
            ("cojones", "jjones"),
            ("cobrown", "jbrown"),
        ] {
            let login = EcfLogin::parse(login).unwrap();
            let username = PacerUsername::parse(username).unwrap();
            events.send(event(login, username)).unwrap();
        }
        settle().await;

        assert!(cache.get(&court(), &account).is_err());
        look_up(&cache, &account);
        assert_eq!(cache.get(&court(), &account), Ok(existing()));
    }

    #[tokio::test]
    async fn nothing_is_stored_once_the_event_stream_is_gone() {
        let (cache, events) = started(TTL, 16);
        let account = AccountKey::Pacer(pacer());
        look_up(&cache, &account);

        drop(events);
        settle().await;
        look_up(&cache, &account);

        assert!(cache.get(&court(), &account).is_err());
    }
}
