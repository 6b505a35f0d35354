//! Random sessions against the real `LinkService` over an in-memory SQLite
//! store, checked step by step against the model in `flow_model`: no link is made without
//! a PACER proof and a still-valid CM/ECF proof on the same flow, a link
//! shows up exactly once, and no step fails as INTERNAL.
use std::time::Duration;

use super::world::{World, court, ecf_password, pacer_password, parse, world};
use super::{ECF, Expected, FLOW_TTL, Model, Op, PACER};
use pacer_link::audit::AuditFacts;
use pacer_link::domain::{EcfLogin, PacerUsername, Password, UnlinkReason};
use pacer_link::linking::{AuthenticatePacer, LinkError, Unlink, VerifyEcf};
use pacer_link::store::LinkEventKind;
use proptest::prelude::*;

/// The `LinkError` variant's name, or a failure for errors no step may give.
fn kind(error: &LinkError) -> Result<&'static str, TestCaseError> {
    Ok(match error {
        LinkError::InvalidCredentials => "InvalidCredentials",
        LinkError::PacerAccountNotUpgraded => "PacerAccountNotUpgraded",
        LinkError::PacerAccountAlreadyLinked => "PacerAccountAlreadyLinked",
        LinkError::EcfAccountAlreadyLinked => "EcfAccountAlreadyLinked",
        LinkError::EcfLoginPrefixMismatch { .. } => "EcfLoginPrefixMismatch",
        LinkError::FlowNotFoundOrExpired => "FlowNotFoundOrExpired",
        LinkError::FlowStepOutOfOrder { .. } => "FlowStepOutOfOrder",
        LinkError::AccountNotFound => "AccountNotFound",
        LinkError::EcfAccountNotLinked => "EcfAccountNotLinked",
        other => return Err(TestCaseError::fail(format!("unexpected error: {other:?}"))),
    })
}

fn outcome<T>(result: &Result<T, LinkError>) -> Result<Expected, TestCaseError> {
    match result {
        Ok(_) => Ok(Ok(())),
        Err(e) => Ok(Err(kind(e)?)),
    }
}

async fn step(world: &mut World, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match *op {
        Op::AuthenticatePacer {
            account,
            right_password,
        } => {
            let got = world
                .links
                .authenticate_pacer(
                    AuthenticatePacer {
                        court_id: court(),
                        username: parse(PacerUsername::parse(PACER[account])),
                        password: pacer_password(account, right_password),
                        client_code: Default::default(),
                        otp_code: None,
                    },
                    &AuditFacts::default(),
                )
                .await;
            prop_assert_eq!(
                outcome(&got)?,
                model.authenticate_pacer(account, right_password)
            );
            if let Ok(started) = got {
                prop_assert_eq!(started.pacer_account.username.as_str(), PACER[account]);
                world.tokens.push(started.token);
                world.started_by.push(account);
                world.proven.push(None);
            }
        }
        Op::VerifyEcf {
            flow,
            login,
            right_password,
        } => {
            let flow = model.resolve(flow);
            let password = ecf_password(login, right_password);
            let got = world
                .links
                .verify_ecf(
                    VerifyEcf {
                        flow_token: world.token(flow),
                        ecf_login: parse(EcfLogin::parse(ECF[login])),
                        ecf_password: parse(Password::parse(password)),
                    },
                    &AuditFacts::default(),
                )
                .await;
            prop_assert_eq!(
                outcome(&got)?,
                model.verify_ecf(flow, login, right_password)
            );
            if let Ok(account) = got {
                prop_assert_eq!(account.login.as_str(), ECF[login]);
                prop_assert!(right_password);
                if let Some(i) = flow {
                    world.proven[i] = Some(login);
                }
            }
        }
        Op::PreviewLink { flow } => {
            let flow = model.resolve(flow);
            let got = world
                .links
                .preview_link(&world.token(flow), &AuditFacts::default())
                .await;
            let want = model.preview_link(flow);
            prop_assert_eq!(outcome(&got)?, want.map(|_| ()));
            if let (Ok(preview), Ok((pacer, ecf))) = (got, want) {
                prop_assert_eq!(preview.pacer_account.username.as_str(), PACER[pacer]);
                prop_assert_eq!(preview.ecf_account.login.as_str(), ECF[ecf]);
                prop_assert_eq!(preview.names_match, super::names_match(pacer, ecf));
            }
        }
        Op::ConfirmLink { flow } => {
            let flow = model.resolve(flow);
            let got = world
                .links
                .confirm_link(&world.token(flow), &AuditFacts::default())
                .await;
            let want = model.confirm_link(flow);
            prop_assert_eq!(outcome(&got)?, want.map(|_| ()), "confirm on {:?}", flow);
            // Independently of the model: a link only ever comes from a flow
            // the service started after a PACER proof, carrying the CM/ECF
            // account the service last proved on that same flow.
            if let Ok(link) = &got {
                let i = flow.expect("only an issued token can confirm");
                let proven = world.proven[i].map(|e| ECF[e]);
                prop_assert_eq!(Some(link.ecf_login.as_str()), proven);
                prop_assert_eq!(link.pacer_username.as_str(), PACER[world.started_by[i]]);
            }
            if let (Ok(link), Ok(((pacer, ecf), _))) = (got, want) {
                prop_assert_eq!(link.pacer_username.as_str(), PACER[pacer]);
                prop_assert_eq!(link.ecf_login.as_str(), ECF[ecf]);
            }
        }
        Op::Unlink { login } => {
            let got = world
                .admin
                .unlink(Unlink {
                    court_id: court(),
                    ecf_login: parse(EcfLogin::parse(ECF[login])),
                    reason: parse(UnlinkReason::parse("property test")),
                })
                .await;
            prop_assert_eq!(outcome(&got)?, model.unlink(login));
        }
        Op::ResetEcfPassword { login } => {
            let got = world.reset(login).await;
            prop_assert_eq!(outcome(&got)?, model.reset_ecf_password(login));
        }
        Op::Tick => {
            world.clock.advance(Duration::from_secs(1));
            model.now += 1;
        }
        Op::Expire => {
            world.clock.advance(Duration::from_secs(FLOW_TTL + 1));
            model.now += FLOW_TTL + 1;
        }
    }
    Ok(())
}

/// The store holds exactly the model's links, each once, and one LINKED
/// event per link ever made.
async fn check_links(world: &World, model: &Model) -> Result<(), TestCaseError> {
    let court = court();
    for (e, login) in ECF.iter().enumerate().take(2) {
        let stored = world
            .store
            .link_of_ecf(&court, &parse(EcfLogin::parse(login)))
            .await
            .unwrap();
        let want = model
            .links
            .iter()
            .find(|&&(_, le)| le == e)
            .map(|&(p, _)| PACER[p]);
        prop_assert_eq!(
            stored.as_ref().map(|l| l.pacer_username.as_str()),
            want,
            "link of {}",
            login
        );
    }
    for (p, username) in PACER.iter().enumerate() {
        let stored = world
            .store
            .link_of_pacer(&court, &parse(PacerUsername::parse(username)))
            .await
            .unwrap();
        let want = model
            .links
            .iter()
            .find(|&&(lp, _)| lp == p)
            .map(|&(_, e)| ECF[e]);
        prop_assert_eq!(
            stored.as_ref().map(|l| l.ecf_login.as_str()),
            want,
            "link of {}",
            username
        );
    }
    let events = world.store.events_after(0, 10_000).await.unwrap();
    let linked = events
        .iter()
        .filter(|e| e.kind == LinkEventKind::Linked)
        .count();
    prop_assert_eq!(linked, model.links_made);
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut world = world().await;
        let mut model = Model::default();
        for op in &ops {
            step(&mut world, &mut model, op).await?;
            check_links(&world, &model).await?;
        }
        world.store.close().await;
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_sessions_never_link_without_both_proofs(ops in prop::collection::vec(super::op(), 1..60)) {
        run(ops)?;
    }
}
