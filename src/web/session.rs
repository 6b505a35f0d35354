//! Server-side sessions of the front-end. The browser holds only an opaque
//! random id in a cookie; the flow token, the CSRF token and what the pages
//! show between steps stay here, and end when the flow ends.
use std::collections::HashMap;
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
#[derive(Debug, Clone)]
pub struct Session {
    /// The token every form of this session carries.
    pub csrf: String,
    /// When the session ends: with its flow, or [`IDLE_LIFE`] after it
    /// started or its flow ended.
    pub expires: Instant,
    /// The flow, once the PACER sign-in succeeded.
    pub flow: Option<Flow>,
    /// The confirmation to show once, after ConfirmLink.
    pub linked: Option<String>,
}

impl Session {
    /// Whether `presented` is this session's CSRF token, compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        !presented.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes()))
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

/// The session table is full of live sessions.
#[derive(Debug)]
pub struct Full;

/// Every live session, bounded.
pub struct Sessions {
    table: Mutex<HashMap<SessionId, Session>>,
    capacity: usize,
}

impl Sessions {
    /// At most `capacity` live sessions at once.
    pub fn new(capacity: usize) -> Self {
        Self {
            table: Mutex::default(),
            capacity,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Session>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session `id` names, as of `now`; an ended one is removed.
    pub fn find(&self, id: Option<SessionId>, now: Instant) -> Lookup {
        let Some(id) = id else {
            return Lookup::Absent;
        };
        let mut table = self.table();
        match table.get(&id) {
            Some(session) if session.expires > now => Lookup::Live(id, session.clone()),
            Some(_) => {
                table.remove(&id);
                Lookup::Ended
            }
            None => Lookup::Ended,
        }
    }

    /// Starts a session. When the table is full, ended sessions are swept
    /// first; if it is still full, the new one is refused rather than
    /// evicting a filer in the middle of a flow.
    pub fn start(&self, now: Instant) -> Result<(SessionId, Session), Full> {
        let mut table = self.table();
        if table.len() >= self.capacity {
            table.retain(|_, session| session.expires > now);
            if table.len() >= self.capacity {
                return Err(Full);
            }
        }
        let id = SessionId::generate();
        let session = Session {
            csrf: random_hex(),
            expires: now + IDLE_LIFE,
            flow: None,
            linked: None,
        };
        table.insert(id.clone(), session.clone());
        Ok((id, session))
    }

    /// Replaces a live session's state; a session that ended meanwhile stays ended.
    pub fn update(&self, id: &SessionId, change: impl FnOnce(&mut Session)) {
        if let Some(session) = self.table().get_mut(id) {
            change(session);
        }
    }

    /// Live sessions, for tests and metrics.
    pub fn len(&self) -> usize {
        self.table().len()
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
        let (id, _) = sessions.start(t0).unwrap();
        sessions.update(&id, |s| {
            s.flow = Some(flow());
            s.expires = t0 + Duration::from_secs(60);
        });

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
    fn a_full_table_sweeps_ended_sessions_and_refuses_only_when_all_are_live() {
        let sessions = Sessions::new(2);
        let t0 = Instant::now();
        sessions.start(t0).unwrap();
        sessions.start(t0).unwrap();

        assert!(sessions.start(t0).is_err());
        assert!(sessions.start(t0 + IDLE_LIFE).is_ok());
        assert_eq!(sessions.len(), 1);
    }

    #[test]
    fn only_the_issued_shape_of_id_is_accepted_and_csrf_must_match_exactly() {
        let sessions = Sessions::new(1);
        let (id, session) = sessions.start(Instant::now()).unwrap();

        assert!(SessionId::parse(id.expose()).is_some());
        assert!(SessionId::parse(&id.expose().to_ascii_uppercase()).is_none());
        assert!(SessionId::parse("abc").is_none());
        assert!(session.csrf_matches(&session.csrf.clone()));
        assert!(!session.csrf_matches(""));
        assert!(!session.csrf_matches(&session.csrf[1..]));
        assert!(!format!("{id:?}").contains(id.expose()));
    }
}
