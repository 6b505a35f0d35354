//! Server-side sessions of the front-end. The browser holds only an opaque
//! random id in a cookie; the flow token, the CSRF token and what the pages
//! show between steps stay here, and end when the flow ends.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::domain::FlowToken;

/// How long a session lives before a flow starts in it, and after one ends
/// (to show the confirmation and take the first PACER sign-in).
pub const IDLE_LIFE: Duration = Duration::from_secs(20 * 60);

/// An opaque session id: 256 random bits, hex. Never logged.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    fn generate() -> Self {
        Self(random_hex())
    }

    /// Accepts only the shape this front-end issues.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| Self(raw.to_owned()))
    }

    /// The cookie value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A link flow in progress.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The service's flow token: never leaves this process but to the service.
    pub token: FlowToken,
    /// The PACER account holder's name, for the pages.
    pub pacer_name: String,
    /// Whether the CM/ECF account was proven (the preview may be shown).
    pub ecf_verified: bool,
}

/// One browser's state.
#[derive(Clone)]
pub struct Session {
    /// The token every form of this session carries.
    pub csrf: String,
    /// When the session ends: with its flow, or [`IDLE_LIFE`] after it
    /// started or its flow ended.
    pub expires: Instant,
    /// The flow, once the PACER sign-in succeeded.
    pub flow: Option<Flow>,
    /// The confirmation to show, after ConfirmLink.
    pub linked: Option<String>,
    /// The CM/ECF sign-in of step 6: the CM/ECF account's name and the
    /// PACER username it was made with.
    pub filer: Option<(String, String)>,
    /// Made by a PACER sign-in (see [`Sessions::sign_in`]), not by a visit.
    signed_in: bool,
}

impl Session {
    /// Whether `presented` is this session's CSRF token, compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        !presented.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// Whether a PACER sign-in made this session (its flow may have ended
    /// since).
    pub fn signed_in(&self) -> bool {
        self.signed_in
    }

    fn holds(&self, token: &FlowToken) -> bool {
        self.flow.as_ref().is_some_and(|f| &f.token == token)
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("csrf", &"<redacted>")
            .field("expires", &self.expires)
            .field("flow", &self.flow.as_ref().map(|_| "<flow>"))
            .field("linked", &self.linked.is_some())
            .field("filer", &self.filer.is_some())
            .field("signed_in", &self.signed_in)
            .finish()
    }
}

/// What a request's cookie named.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A live session.
    Live(SessionId, Session),
    /// A session that has ended (or that this process never issued).
    Ended,
    /// No session cookie at all.
    Absent,
}

/// The table of signed-in sessions is full of live ones.
#[derive(Debug)]
pub struct Full;

/// Every live session, in two tiers of `capacity` each. A visit costs
/// nothing to make, so visitors' sessions are kept first in, first out: a
/// flood of them pushes out only other visitors' (who are asked to start
/// again), never a filer's flow. A session holding a flow exists only after
/// a PACER sign-in, which the service throttles; when those are all live,
/// a new sign-in is refused rather than evicting one.
pub struct Sessions {
    table: Mutex<Table>,
    capacity: usize,
}

#[derive(Default)]
struct Table {
    sessions: HashMap<SessionId, Session>,
    /// Visitors' sessions, oldest first; ids that were since signed in,
    /// ended or evicted are skipped when met.
    visitors: VecDeque<SessionId>,
    visitor_count: usize,
    signed_in_count: usize,
}

impl Table {
    fn insert(&mut self, id: SessionId, session: Session) {
        if session.signed_in {
            self.signed_in_count += 1;
        } else {
            self.visitor_count += 1;
            self.visitors.push_back(id.clone());
        }
        self.sessions.insert(id, session);
    }

    fn remove(&mut self, id: &SessionId) -> Option<Session> {
        let session = self.sessions.remove(id)?;
        if session.signed_in {
            self.signed_in_count -= 1;
        } else {
            self.visitor_count -= 1;
        }
        Some(session)
    }

    /// Makes room for one more visitor by ending the oldest.
    fn evict_visitors(&mut self, capacity: usize) {
        while self.visitor_count >= capacity {
            let Some(oldest) = self.visitors.pop_front() else {
                break;
            };
            if self.sessions.get(&oldest).is_some_and(|s| !s.signed_in) {
                self.remove(&oldest);
            }
        }
        // Ids of visitors who signed in stay queued until met: keep the
        // queue within a constant factor of the live visitors.
        if self.visitors.len() > 2 * capacity + 64 {
            let sessions = &self.sessions;
            self.visitors
                .retain(|id| sessions.get(id).is_some_and(|s| !s.signed_in));
        }
    }
}

impl Sessions {
    /// At most `capacity` visitors' and `capacity` signed-in sessions at once.
    pub fn new(capacity: usize) -> Self {
        Self {
            table: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session `id` names, as of `now`; an ended one is removed.
    pub fn find(&self, id: Option<SessionId>, now: Instant) -> Lookup {
        let Some(id) = id else {
            return Lookup::Absent;
        };
        let mut table = self.table();
        match table.sessions.get(&id) {
            Some(session) if session.expires > now => Lookup::Live(id, session.clone()),
            Some(_) => {
                table.remove(&id);
                Lookup::Ended
            }
            None => Lookup::Ended,
        }
    }

    /// Starts a visitor's session, ending the oldest visitor's when there
    /// are `capacity` of them.
    pub fn start(&self, now: Instant) -> (SessionId, Session) {
        let mut table = self.table();
        table.evict_visitors(self.capacity);
        let id = SessionId::generate();
        let session = Session {
            csrf: random_hex(),
            expires: now + IDLE_LIFE,
            flow: None,
            linked: None,
            filer: None,
            signed_in: false,
        };
        table.insert(id.clone(), session.clone());
        (id, session)
    }

    /// A PACER sign-in succeeded in session `old`: the flow goes into a new
    /// session, under a new id and CSRF token, and `old` ends, so that an
    /// id known before the sign-in (planted, or seen on a shared machine)
    /// never reaches the flow.
    pub fn sign_in(
        &self,
        old: &SessionId,
        flow: Flow,
        expires: Instant,
        now: Instant,
    ) -> Result<(SessionId, Session), Full> {
        self.renew(old, expires, now, |s| s.flow = Some(flow))
    }

    /// Any sign-in in session `old`: a new signed-in session, under a new
    /// id and CSRF token, set up by `fill`; `old` ends. When every
    /// signed-in slot holds a live session, the sign-in is refused and
    /// `old` lives on.
    pub fn renew(
        &self,
        old: &SessionId,
        expires: Instant,
        now: Instant,
        fill: impl FnOnce(&mut Session),
    ) -> Result<(SessionId, Session), Full> {
        let mut table = self.table();
        let replaces_signed_in = table.sessions.get(old).is_some_and(|s| s.signed_in);
        if !replaces_signed_in && table.signed_in_count >= self.capacity {
            let ended: Vec<SessionId> = table
                .sessions
                .iter()
                .filter(|(_, s)| s.signed_in && s.expires <= now)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &ended {
                table.remove(id);
            }
            if table.signed_in_count >= self.capacity {
                return Err(Full);
            }
        }
        table.remove(old);
        let id = SessionId::generate();
        let mut session = Session {
            csrf: random_hex(),
            expires,
            flow: None,
            linked: None,
            filer: None,
            signed_in: true,
        };
        fill(&mut session);
        table.insert(id.clone(), session.clone());
        Ok((id, session))
    }

    /// Changes a live session, if it still holds the flow of `token`: an
    /// answer about one flow never touches another that a second tab
    /// started meanwhile. Whether it applied.
    pub fn update_flow(
        &self,
        id: &SessionId,
        token: &FlowToken,
        now: Instant,
        change: impl FnOnce(&mut Session),
    ) -> bool {
        let mut table = self.table();
        match table.sessions.get_mut(id) {
            Some(session) if session.expires > now && session.holds(token) => {
                change(session);
                true
            }
            _ => false,
        }
    }

    /// Live sessions, for tests and metrics.
    pub fn len(&self) -> usize {
        self.table().sessions.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        Flow {
            token: FlowToken::generate(),
            pacer_name: "Humbert Humbert".into(),
            ecf_verified: false,
        }
    }

    #[test]
    fn a_session_ends_at_its_expiry_and_is_then_forgotten() {
        let sessions = Sessions::new(10);
        let t0 = Instant::now();
        let (visitor, _) = sessions.start(t0);
        let (id, _) = sessions
            .sign_in(&visitor, flow(), t0 + Duration::from_secs(60), t0)
            .unwrap();

        assert!(matches!(
            sessions.find(Some(id.clone()), t0 + Duration::from_secs(59)),
            Lookup::Live(_, Session { flow: Some(_), .. })
        ));
        assert!(matches!(
            sessions.find(Some(id.clone()), t0 + Duration::from_secs(60)),
            Lookup::Ended
        ));
        assert!(sessions.is_empty());
        assert!(matches!(sessions.find(None, t0), Lookup::Absent));
    }

    #[test]
    fn signing_in_moves_the_flow_to_a_new_id_and_csrf_and_ends_the_old_one() {
        let sessions = Sessions::new(10);
        let t0 = Instant::now();
        let (visitor, before) = sessions.start(t0);

        let (id, after) = sessions
            .sign_in(&visitor, flow(), t0 + IDLE_LIFE, t0)
            .unwrap();

        assert_ne!(id, visitor);
        assert_ne!(after.csrf, before.csrf);
        assert!(matches!(sessions.find(Some(visitor), t0), Lookup::Ended));
        assert!(matches!(sessions.find(Some(id), t0), Lookup::Live(..)));
    }

    #[test]
    fn a_flood_of_visitors_pushes_out_only_visitors_never_a_flow() {
        let sessions = Sessions::new(3);
        let t0 = Instant::now();
        let (first, _) = sessions.start(t0);
        let (filer, _) = sessions
            .sign_in(&first, flow(), t0 + IDLE_LIFE, t0)
            .unwrap();
        let (oldest_visitor, _) = sessions.start(t0);

        for _ in 0..1000 {
            sessions.start(t0);
        }

        assert!(matches!(sessions.find(Some(filer), t0), Lookup::Live(..)));
        assert!(matches!(
            sessions.find(Some(oldest_visitor), t0),
            Lookup::Ended
        ));
        assert_eq!(sessions.len(), 1 + 3);
        assert!(sessions.table().visitors.len() <= 2 * 3 + 64);
    }

    #[test]
    fn sign_ins_past_capacity_are_refused_until_one_ends() {
        let sessions = Sessions::new(2);
        let t0 = Instant::now();
        for _ in 0..2 {
            let (visitor, _) = sessions.start(t0);
            sessions
                .sign_in(&visitor, flow(), t0 + IDLE_LIFE, t0)
                .unwrap();
        }
        let (visitor, _) = sessions.start(t0);

        assert!(
            sessions
                .sign_in(&visitor, flow(), t0 + IDLE_LIFE, t0)
                .is_err()
        );
        assert!(matches!(
            sessions.find(Some(visitor.clone()), t0),
            Lookup::Live(..)
        ));
        let later = t0 + IDLE_LIFE;
        assert!(
            sessions
                .sign_in(&visitor, flow(), later + IDLE_LIFE, later)
                .is_ok()
        );
    }

    #[test]
    fn an_answer_about_one_flow_does_not_touch_the_next() {
        let sessions = Sessions::new(10);
        let t0 = Instant::now();
        let (visitor, _) = sessions.start(t0);
        let first = flow();
        let first_token = first.token.clone();
        let (id, _) = sessions
            .sign_in(&visitor, first, t0 + IDLE_LIFE, t0)
            .unwrap();
        let second = flow();
        let second_token = second.token.clone();
        let (id, _) = sessions.sign_in(&id, second, t0 + IDLE_LIFE, t0).unwrap();

        let stale = sessions.update_flow(&id, &first_token, t0, |s| s.flow = None);
        let current = sessions.update_flow(&id, &second_token, t0, |s| {
            s.flow.as_mut().unwrap().ecf_verified = true;
        });

        assert!(!stale && current);
        let Lookup::Live(_, session) = sessions.find(Some(id), t0) else {
            panic!("the session ended");
        };
        assert!(session.flow.unwrap().ecf_verified);
    }

    #[test]
    fn only_the_issued_shape_of_id_is_accepted_and_csrf_must_match_exactly() {
        let sessions = Sessions::new(1);
        let (id, session) = sessions.start(Instant::now());

        assert!(SessionId::parse(id.expose()).is_some());
        assert!(SessionId::parse(&id.expose().to_ascii_uppercase()).is_none());
        assert!(SessionId::parse("abc").is_none());
        assert!(session.csrf_matches(&session.csrf.clone()));
        assert!(!session.csrf_matches(""));
        assert!(!session.csrf_matches(&session.csrf[1..]));
        assert!(!format!("{id:?}").contains(id.expose()));
        assert!(!format!("{session:?}").contains(&session.csrf));
    }
}
