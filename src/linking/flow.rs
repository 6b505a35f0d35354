//! The link flow as a typed state machine. A step can only be taken from a
//! value of the stage it needs, so ConfirmLink cannot reach the store without
//! a flow whose CM/ECF account was proven.
use crate::domain::EcfLogin;
use crate::store::{FlowRecord, FlowStage};

use super::LinkError;

/// PACER credentials proven.
#[derive(Debug)]
pub struct PacerAuthenticated;

/// CM/ECF credentials proven too.
#[derive(Debug)]
pub struct EcfVerified {
    /// The proven CM/ECF login.
    pub ecf_login: EcfLogin,
}

/// The link was made.
#[derive(Debug)]
pub struct Confirmed;

/// A live flow at stage `S`.
#[derive(Debug)]
pub struct Flow<S> {
    /// The stored flow.
    pub record: FlowRecord,
    /// What the stage knows.
    pub stage: S,
}

/// A live flow at whichever stage it is.
#[derive(Debug)]
pub enum AnyFlow {
    /// After AuthenticatePacer.
    PacerAuthenticated(Flow<PacerAuthenticated>),
    /// After VerifyEcf.
    EcfVerified(Flow<EcfVerified>),
    /// After ConfirmLink.
    Confirmed(Flow<Confirmed>),
}

impl From<FlowRecord> for AnyFlow {
    fn from(record: FlowRecord) -> Self {
        match record.stage.clone() {
            FlowStage::PacerAuthenticated => Self::PacerAuthenticated(Flow {
                record,
                stage: PacerAuthenticated,
            }),
            FlowStage::EcfVerified(ecf_login) => Self::EcfVerified(Flow {
                record,
                stage: EcfVerified { ecf_login },
            }),
            FlowStage::Confirmed => Self::Confirmed(Flow {
                record,
                stage: Confirmed,
            }),
        }
    }
}

impl AnyFlow {
    /// The flow, if VerifyEcf may run on it: before confirmation, and again
    /// after a previous VerifyEcf (the filer went back to pick another account).
    pub fn open_for_ecf_verification(self) -> Result<FlowRecord, LinkError> {
        match self {
            Self::PacerAuthenticated(flow) => Ok(flow.record),
            Self::EcfVerified(flow) => Ok(flow.record),
            Self::Confirmed(_) => Err(LinkError::FlowNotFoundOrExpired),
        }
    }

    /// The flow, if its CM/ECF account has been proven and it is not finished.
    pub fn verified(self) -> Result<Flow<EcfVerified>, LinkError> {
        match self {
            Self::PacerAuthenticated(_) => Err(LinkError::FlowStepOutOfOrder {
                expected: "VerifyEcf must succeed first",
            }),
            Self::EcfVerified(flow) => Ok(flow),
            Self::Confirmed(_) => Err(LinkError::FlowNotFoundOrExpired),
        }
    }
}
