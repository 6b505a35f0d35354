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
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::broadcast::{Receiver, error::RecvError};

use crate::domain::{CourtId, EcfLogin, PacerUsername};
use crate::store::{AccountKey, AccountStatus, LinkEventRecord};

/// Most entries kept; beyond it the cache starts over.
const CAPACITY: usize = 200_000;

struct State {
    entries: HashMap<String, (AccountStatus, Instant)>,
    /// Bumped (under the same lock) before every invalidation, so a lookup
    /// that read the database before an event does not store its answer
    /// after the event has been applied.
    epoch: u64,
    /// False once the event stream is gone: nothing could invalidate.
    following: bool,
}

/// Status answers keyed by court and account.
pub struct StatusCache {
    state: Mutex<State>,
    ttl: Duration,
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
            state: Mutex::new(State {
                entries: HashMap::new(),
                epoch: 0,
                following: true,
            }),
            ttl,
        });
        tokio::spawn(follow(Arc::downgrade(&cache), events));
        cache
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh cached answer, and the epoch to pass to [`Self::put`] on a miss.
    pub fn get(&self, court: &CourtId, account: &AccountKey) -> Result<AccountStatus, u64> {
        let state = self.lock();
        match state.entries.get(&key(court, account)) {
            Some((status, at)) if state.following && at.elapsed() < self.ttl => Ok(status.clone()),
            _ => Err(state.epoch),
        }
    }

    /// Stores what the database said, unless an event arrived since `epoch`.
    pub fn put(&self, court: &CourtId, account: &AccountKey, status: &AccountStatus, epoch: u64) {
        let mut state = self.lock();
        if !status.exists || state.epoch != epoch || !state.following {
            return;
        }
        if state.entries.len() >= CAPACITY {
            state.entries.clear();
        }
        state
            .entries
            .insert(key(court, account), (status.clone(), Instant::now()));
    }

    /// Drops both accounts of a link that was just made or removed. The
    /// replica that changed it calls this at once (so its own answers are
    /// never stale); every replica does it again when the event arrives.
    pub fn forget(&self, court: &CourtId, ecf_login: &EcfLogin, pacer: &PacerUsername) {
        let mut state = self.lock();
        state.epoch += 1;
        state
            .entries
            .remove(&key(court, &AccountKey::Ecf(ecf_login.clone())));
        state
            .entries
            .remove(&key(court, &AccountKey::Pacer(pacer.clone())));
    }

    fn forget_all(&self, following: bool) {
        let mut state = self.lock();
        state.epoch += 1;
        state.entries.clear();
        state.following = following;
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
