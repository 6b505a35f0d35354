//! pacer-link: links an upgraded PACER account to a legacy CM/ECF e-filing
//! account, per court, over gRPC.
#![warn(missing_docs)]

pub mod audit;
pub mod caller;
pub mod client;
pub mod clock;
pub mod completion;
pub mod config;
pub mod domain;
pub mod events;
mod grpc;
pub mod health;
pub mod housekeeping;
pub mod identity;
pub mod linking;
pub mod metrics;
pub mod mfa;
pub mod password;
pub mod proto;
pub mod reason;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod web;

pub use reason::ERROR_DOMAIN;
