//! A model of the link flow: what each step should answer, given the steps
//! before it. The property test runs the same steps against `LinkService`.
use proptest::prelude::*;

mod sessions;
pub mod world;

/// PACER accounts: hhumbert and dhaze are upgraded, cquilty is not, nobody does not exist.
pub const PACER: [&str; 4] = ["hhumbert", "dhaze", "cquilty", "nobody"];
/// CM/ECF logins in `cod` (prefix `co`): two accounts, one unknown, one without the prefix.
pub const ECF: [&str; 4] = [
    "coattorneytwo",
    "coattorneythree",
    "counknown",
    "nxattorney",
];
const UPGRADED: [bool; 4] = [true, true, false, false];
const PACER_EXISTS: [bool; 4] = [true, true, true, false];
const ECF_EXISTS: [bool; 4] = [true, true, false, false];
const ECF_HAS_PREFIX: [bool; 4] = [true, true, true, false];
/// Only dhaze and coattorneythree carry the same name.
pub fn names_match(pacer: usize, ecf: usize) -> bool {
    pacer == 1 && ecf == 1
}

/// Which flow a step names.
#[derive(Debug, Clone, Copy)]
pub enum FlowRef {
    /// The token handed out last.
    Latest,
    /// The n-th token handed out so far (modulo how many there are).
    Issued(usize),
    /// A well-formed token the service never issued.
    Unknown,
}

/// One step of a random session.
#[derive(Debug, Clone)]
pub enum Op {
    AuthenticatePacer {
        account: usize,
        right_password: bool,
    },
    VerifyEcf {
        flow: FlowRef,
        login: usize,
        right_password: bool,
    },
    PreviewLink {
        flow: FlowRef,
    },
    ConfirmLink {
        flow: FlowRef,
    },
    /// An operator removes the CM/ECF account's link (its password stays retired).
    Unlink {
        login: usize,
    },
    /// An operator sets a new CM/ECF password (the same text, so "right" stays right).
    ResetEcfPassword {
        login: usize,
    },
    /// One second passes.
    Tick,
    /// Every open flow expires.
    Expire,
}

fn flow_ref() -> impl Strategy<Value = FlowRef> {
    prop_oneof![
        6 => Just(FlowRef::Latest),
        3 => any::<usize>().prop_map(FlowRef::Issued),
        1 => Just(FlowRef::Unknown),
    ]
}

/// Steps weighted towards the ones that move a flow forward.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize, prop::bool::weighted(0.8))
            .prop_map(|(account, right_password)| Op::AuthenticatePacer { account, right_password }),
        4 => (flow_ref(), prop::sample::select(vec![0usize, 0, 1, 1, 2, 3]), prop::bool::weighted(0.7))
            .prop_map(|(flow, login, right_password)| Op::VerifyEcf { flow, login, right_password }),
        2 => flow_ref().prop_map(|flow| Op::PreviewLink { flow }),
        4 => flow_ref().prop_map(|flow| Op::ConfirmLink { flow }),
        1 => (0..3usize).prop_map(|login| Op::Unlink { login }),
        1 => (0..3usize).prop_map(|login| Op::ResetEcfPassword { login }),
        2 => Just(Op::Tick),
        1 => Just(Op::Expire),
    ]
}

/// Where a flow stands, with the CM/ECF password its proof matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    PacerAuthenticated,
    EcfVerified { ecf: usize, password: u64 },
    Confirmed { ecf: usize },
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub pacer: usize,
    pub stage: Stage,
    pub expires_at: u64,
}

/// A CM/ECF account's password: usable, or retired by a link; and how many
/// times it has been reset (each reset stores a new hash).
#[derive(Debug, Clone, Copy, Default)]
pub struct EcfPassword {
    pub retired: bool,
    pub resets: u64,
}

/// The expected answer of one step: success, or the `LinkError` variant's name.
pub type Expected = Result<(), &'static str>;

/// The world as the steps so far should have left it. Time is in whole
/// seconds since the start.
#[derive(Debug, Default)]
pub struct Model {
    pub now: u64,
    pub flows: Vec<Flow>,
    /// Current links as (pacer, ecf).
    pub links: Vec<(usize, usize)>,
    /// Links ever made, i.e. LINKED events.
    pub links_made: usize,
    pub ecf: [EcfPassword; 2],
    /// Flows whose link was removed by an unlink.
    pub unlinked_flows: Vec<usize>,
}

pub const FLOW_TTL: u64 = 600;

impl Model {
    /// Resolves a flow reference to an index into `flows`.
    pub fn resolve(&self, flow: FlowRef) -> Option<usize> {
        match flow {
            FlowRef::Latest => self.flows.len().checked_sub(1),
            FlowRef::Issued(n) if !self.flows.is_empty() => Some(n % self.flows.len()),
            _ => None,
        }
    }

    fn live(&self, flow: Option<usize>) -> Option<usize> {
        flow.filter(|&i| self.flows[i].expires_at > self.now)
    }

    fn pacer_linked(&self, pacer: usize) -> bool {
        self.links.iter().any(|&(p, _)| p == pacer)
    }

    fn ecf_linked(&self, ecf: usize) -> bool {
        self.links.iter().any(|&(_, e)| e == ecf)
    }

    pub fn authenticate_pacer(&mut self, account: usize, right_password: bool) -> Expected {
        if !PACER_EXISTS[account] || !right_password {
            return Err("InvalidCredentials");
        }
        if !UPGRADED[account] {
            return Err("PacerAccountNotUpgraded");
        }
        if self.pacer_linked(account) {
            return Err("PacerAccountAlreadyLinked");
        }
        self.flows.push(Flow {
            pacer: account,
            stage: Stage::PacerAuthenticated,
            expires_at: self.now + FLOW_TTL,
        });
        Ok(())
    }

    pub fn verify_ecf(&mut self, flow: Option<usize>, login: usize, right: bool) -> Expected {
        let Some(i) = self.live(flow) else {
            return Err("FlowNotFoundOrExpired");
        };
        if matches!(self.flows[i].stage, Stage::Confirmed { .. }) {
            return Err("FlowNotFoundOrExpired");
        }
        if !ECF_HAS_PREFIX[login] {
            return Err("EcfLoginPrefixMismatch");
        }
        if !ECF_EXISTS[login] || !right || self.ecf[login].retired {
            return Err("InvalidCredentials");
        }
        if self.ecf_linked(login) {
            return Err("EcfAccountAlreadyLinked");
        }
        self.flows[i].stage = Stage::EcfVerified {
            ecf: login,
            password: self.ecf[login].resets,
        };
        Ok(())
    }

    /// On success, the (pacer, ecf) the preview shows.
    pub fn preview_link(&self, flow: Option<usize>) -> Result<(usize, usize), &'static str> {
        let Some(i) = self.live(flow) else {
            return Err("FlowNotFoundOrExpired");
        };
        match self.flows[i].stage {
            Stage::PacerAuthenticated => Err("FlowStepOutOfOrder"),
            Stage::EcfVerified { ecf, .. } => Ok((self.flows[i].pacer, ecf)),
            Stage::Confirmed { .. } => Err("FlowNotFoundOrExpired"),
        }
    }

    /// On success, the (pacer, ecf) linked and whether this call made the link.
    pub fn confirm_link(
        &mut self,
        flow: Option<usize>,
    ) -> Result<((usize, usize), bool), &'static str> {
        let Some(i) = self.live(flow) else {
            return Err("FlowNotFoundOrExpired");
        };
        let pacer = self.flows[i].pacer;
        match self.flows[i].stage {
            Stage::PacerAuthenticated => Err("FlowStepOutOfOrder"),
            Stage::Confirmed { ecf } if !self.unlinked_flows.contains(&i) => {
                Ok(((pacer, ecf), false))
            }
            Stage::Confirmed { .. } => Err("FlowNotFoundOrExpired"),
            Stage::EcfVerified {
                ecf,
                password: proven,
            } => {
                if self.pacer_linked(pacer) {
                    return Err("PacerAccountAlreadyLinked");
                }
                if self.ecf_linked(ecf) {
                    return Err("EcfAccountAlreadyLinked");
                }
                let password = self.ecf[ecf];
                // A retired password, or one reset since the proof, voids the proof.
                if password.retired || password.resets != proven {
                    return Err("FlowNotFoundOrExpired");
                }
                self.flows[i].stage = Stage::Confirmed { ecf };
                self.ecf[ecf].retired = true;
                self.links.push((pacer, ecf));
                self.links_made += 1;
                Ok(((pacer, ecf), true))
            }
        }
    }

    pub fn unlink(&mut self, login: usize) -> Expected {
        if !ECF_EXISTS[login] {
            return Err("AccountNotFound");
        }
        let Some(at) = self.links.iter().position(|&(_, e)| e == login) else {
            return Err("EcfAccountNotLinked");
        };
        self.links.remove(at);
        for (i, flow) in self.flows.iter().enumerate() {
            if flow.stage == (Stage::Confirmed { ecf: login }) && !self.unlinked_flows.contains(&i)
            {
                self.unlinked_flows.push(i);
            }
        }
        Ok(())
    }

    pub fn reset_ecf_password(&mut self, login: usize) -> Expected {
        if !ECF_EXISTS[login] {
            return Err("AccountNotFound");
        }
        if self.ecf_linked(login) {
            return Err("EcfAccountAlreadyLinked");
        }
        self.ecf[login] = EcfPassword {
            retired: false,
            resets: self.ecf[login].resets + 1,
        };
        Ok(())
    }
}
