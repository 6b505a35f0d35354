//! The service under test: `LinkService` and `AdminService` over a fresh
//! in-memory SQLite store holding the demo court and a few more accounts.
use std::{sync::Arc, time::Duration};

use pacer_link::clock::ManualClock;
use pacer_link::domain::{
    CourtId, DisplayName, EcfLogin, FlowToken, NewPassword, PacerUsername, Password,
};
use pacer_link::linking::{
    AdminService, CreateEcfAccount, CreatePacerAccount, Credentials, LinkError, LinkService,
    ResetEcfPassword, demo,
};
use pacer_link::password::{HashParams, PasswordHasher};
use pacer_link::store::{self, LockoutPolicy, PoolSettings, Store};

use super::{ECF, FLOW_TTL};

pub const PACER_PASSWORD: &str = "Right-Pacer-Password-1";
pub const ECF_PASSWORD: &str = "Right-Ecf-Password-1";
pub const WRONG_PASSWORD: &str = "Wrong-Password-0000";

pub struct World {
    pub store: Arc<dyn Store>,
    pub links: LinkService,
    pub admin: AdminService,
    pub clock: Arc<ManualClock>,
    /// Every flow token the service handed out, in order.
    pub tokens: Vec<FlowToken>,
    /// Per flow: the PACER account that started it.
    pub started_by: Vec<usize>,
    /// Per flow: the CM/ECF account last proven on it, as the service answered.
    pub proven: Vec<Option<usize>>,
}

pub fn parse<T>(value: Result<T, String>) -> T {
    value.expect("test data parses")
}

/// A fresh in-memory store with the demo court and accounts, every account
/// using the passwords above. Hashing is cheap here: the property is about
/// the order of steps, not the cost of a guess. Lockout is out of reach so
/// the model need not count failures.
pub async fn world() -> World {
    let settings = PoolSettings {
        max_connections: 1,
        acquire_timeout: Duration::from_secs(5),
    };
    let store = store::open("sqlite::memory:", &settings).await.unwrap();
    store.migrate().await.unwrap();
    let cheap = HashParams {
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };
    let hasher = PasswordHasher::new(cheap, 2, 64).unwrap();
    let clock = Arc::new(ManualClock::starting_now());
    let policy = LockoutPolicy {
        threshold: 1_000_000,
        base_lock: Duration::from_secs(60),
        max_lock: Duration::from_secs(900),
        forget_after: Duration::from_secs(3600),
        max_per_hour: 1_000_000,
    };
    let credentials = Credentials::new(store.clone(), hasher.clone(), clock.clone(), policy, None);
    let links = LinkService::new(
        store.clone(),
        credentials,
        clock.clone(),
        Duration::from_secs(FLOW_TTL),
    );
    let admin = AdminService::new(store.clone(), hasher, clock.clone(), None);
    demo::load(&admin, pacer_link::startup::demo_accounts().unwrap())
        .await
        .unwrap();
    for (username, upgraded) in [("dhaze", true)] {
        admin
            .create_pacer_account(CreatePacerAccount {
                username: parse(PacerUsername::parse(username)),
                password: parse(NewPassword::parse(PACER_PASSWORD)),
                display_name: parse(DisplayName::parse("Dolores Haze")),
                upgraded,
            })
            .await
            .unwrap();
    }
    admin
        .create_ecf_account(CreateEcfAccount {
            court_id: court(),
            login: parse(EcfLogin::parse(ECF[1])),
            password: parse(NewPassword::parse(ECF_PASSWORD)),
            display_name: parse(DisplayName::parse("Dolores Haze")),
        })
        .await
        .unwrap();
    World {
        store,
        links,
        admin,
        clock,
        tokens: Vec::new(),
        started_by: Vec::new(),
        proven: Vec::new(),
    }
}

pub fn court() -> CourtId {
    parse(CourtId::parse(demo::COURT_ID))
}

/// The right (or a wrong) password of a PACER account.
pub fn pacer_password(account: usize, right: bool) -> Password {
    let right_one = match account {
        0 => demo::PACER_PASSWORD,
        2 => demo::LEGACY_PACER_PASSWORD,
        _ => PACER_PASSWORD,
    };
    parse(Password::parse(if right {
        right_one
    } else {
        WRONG_PASSWORD
    }))
}

/// The right (or a wrong) password of a CM/ECF account; a reset sets the same one again.
pub fn ecf_password(login: usize, right: bool) -> &'static str {
    match (login, right) {
        (_, false) => WRONG_PASSWORD,
        (0, true) => demo::ECF_PASSWORD,
        (_, true) => ECF_PASSWORD,
    }
}

impl World {
    pub async fn reset(&self, login: usize) -> Result<(), LinkError> {
        self.admin
            .reset_ecf_password(ResetEcfPassword {
                court_id: court(),
                ecf_login: parse(EcfLogin::parse(ECF[login])),
                new_password: parse(NewPassword::parse(ecf_password(login, true))),
            })
            .await
    }

    pub fn token(&self, flow: Option<usize>) -> FlowToken {
        flow.map_or_else(FlowToken::generate, |i| self.tokens[i].clone())
    }
}
