//! Token buckets per source address.
//!
//! Hand-written, not `governor`: its keyed limiter has no bound on sources;
//! this table has one, and when full forgets the sources seen longest ago.
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How fast each source may make sign-in attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleSettings {
    /// Attempts refilled per minute; 0 turns throttling off.
    pub per_minute: u32,
    /// Attempts a quiet source may make at once.
    pub burst: u32,
    /// Most sources tracked at once (memory bound).
    pub max_sources: usize,
}

impl ThrottleSettings {
    /// No throttling.
    pub const OFF: Self = Self {
        per_minute: 0,
        burst: 0,
        max_sources: 0,
    };
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
    /// The source's last attempt: what a full table evicts by.
    seen: Instant,
}

/// The buckets of every source seen recently.
#[derive(Debug)]
pub struct SourceLimiter {
    settings: ThrottleSettings,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl SourceLimiter {
    /// A limiter, or `None` when throttling is off.
    pub fn new(settings: ThrottleSettings) -> Option<Self> {
        (settings.per_minute > 0 && settings.burst > 0).then(|| Self {
            settings,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn rate_per_second(&self) -> f64 {
        f64::from(self.settings.per_minute) / 60.0
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens =
            (bucket.tokens + elapsed * self.rate_per_second()).min(f64::from(self.settings.burst));
        bucket.updated = now;
    }

    /// Takes one attempt for `source`, or says how long until one is free.
    pub fn try_take(&self, source: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= self.settings.max_sources && !buckets.contains_key(&source) {
            // Full buckets carry no information: forget them first.
            let burst = f64::from(self.settings.burst);
            buckets.retain(|_, b| {
                self.refill(b, now);
                b.tokens < burst
            });
            if buckets.len() >= self.settings.max_sources {
                // Still full (a wide attack): forget the least recently seen
                // sources, never throttling itself; an eighth at a time, so
                // the scan is paid once per many new sources.
                evict_least_recent(&mut buckets, self.settings.max_sources / 8 + 1);
                tracing::warn!("source throttle table full; forgot the sources seen longest ago");
            }
        }
        let bucket = buckets.entry(source).or_insert(Bucket {
            tokens: f64::from(self.settings.burst),
            updated: now,
            seen: now,
        });
        self.refill(bucket, now);
        bucket.seen = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate_per_second();
            Err(Duration::from_secs_f64(wait).max(Duration::from_millis(1)))
        }
    }

    /// Gives back the attempt of a successful sign-in.
    pub fn give_back(&self, source: IpAddr) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = buckets.get_mut(&source) {
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(self.settings.burst));
        }
    }
}

/// Removes the `count` buckets updated longest ago.
fn evict_least_recent(buckets: &mut HashMap<IpAddr, Bucket>, count: usize) {
    let mut ages: Vec<Instant> = buckets.values().map(|b| b.seen).collect();
    let count = count.min(ages.len());
    if count == 0 {
        return;
    }
    let (_, cutoff, _) = ages.select_nth_unstable(count - 1);
    let cutoff = *cutoff;
    let mut left = count;
    buckets.retain(|_, b| {
        let evict = left > 0 && b.seen <= cutoff;
        left -= usize::from(evict);
        !evict
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, burst: u32, max_sources: usize) -> SourceLimiter {
        SourceLimiter::new(ThrottleSettings {
            per_minute,
            burst,
            max_sources,
        })
        .unwrap()
    }

    #[test]
    fn a_burst_then_the_refill_rate() {
        let l = limiter(60, 3, 10);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            l.try_take(ip, t0).unwrap();
        }
        let wait = l.try_take(ip, t0).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::from_millis(900));
        assert!(l.try_take(ip, t0 + Duration::from_secs(1)).is_ok());
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.try_take(other, t0).is_ok(), "sources are counted apart");
    }

    #[test]
    fn successes_give_their_attempt_back() {
        let l = limiter(1, 1, 10);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        l.try_take(ip, t0).unwrap();
        l.give_back(ip);
        assert!(l.try_take(ip, t0).is_ok());
    }

    #[test]
    fn the_table_stays_bounded() {
        let l = limiter(60, 2, 4);
        let t0 = Instant::now();
        for i in 0..100u8 {
            let ip = IpAddr::from([198, 51, 100, i]);
            let _ = l.try_take(ip, t0);
        }
        assert!(l.buckets.lock().unwrap().len() <= 4);
    }

    #[test]
    fn a_full_table_forgets_the_oldest_sources_and_still_throttles_new_ones() {
        let l = limiter(1, 1, 16);
        let t0 = Instant::now();
        let attacker = IpAddr::from([203, 0, 113, 1]);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        for i in 0..16u8 {
            // Sources that each used their one attempt fill the table.
            let _ = l.try_take(IpAddr::from([198, 51, 100, i]), at(u64::from(i)));
        }
        l.try_take(attacker, at(20)).unwrap();

        let again = l.try_take(attacker, at(21));

        assert!(again.is_err(), "a new source is throttled, not admitted");
        let buckets = l.buckets.lock().unwrap();
        assert!(buckets.len() <= 16);
        assert!(!buckets.contains_key(&IpAddr::from([198, 51, 100, 0])));
    }

    #[test]
    fn zero_turns_it_off() {
        assert!(SourceLimiter::new(ThrottleSettings::OFF).is_none());
    }
}
