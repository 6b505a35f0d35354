//! GetLinkCoverage and ListEcfAccounts follow links and unlinks; page
//! tokens continue only their own listing.
use pacer_link::proto::{self, LinkState};
use pacer_link::reason;
use tonic::Code;

use super::support::{TestApp, admin_request, assert_reason, demo, expect_err, spawn_app};

async fn coverage(app: &TestApp, court: &str) -> Result<proto::LinkCoverage, tonic::Status> {
    app.admin
        .clone()
        .get_link_coverage(admin_request(proto::GetLinkCoverageRequest {
            court_id: court.into(),
        }))
        .await
        .map(tonic::Response::into_inner)
}

async fn list(
    app: &TestApp,
    state: LinkState,
    page_size: u32,
    page_token: &str,
) -> Result<proto::ListEcfAccountsResponse, tonic::Status> {
    app.admin
        .clone()
        .list_ecf_accounts(admin_request(proto::ListEcfAccountsRequest {
            court_id: demo::COURT_ID.into(),
            link_state: state.into(),
            page_size,
            page_token: page_token.into(),
        }))
        .await
        .map(tonic::Response::into_inner)
}

/// Every login of a listing, following its pages.
async fn all_logins(app: &TestApp, state: LinkState, page_size: u32) -> Vec<String> {
    let (mut logins, mut token) = (Vec::new(), String::new());
    loop {
        let page = list(app, state, page_size, &token).await.unwrap();
        logins.extend(page.accounts.into_iter().map(|a| a.login));
        if page.next_page_token.is_empty() {
            return logins;
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn coverage_follows_links_and_unlinks() {
    let app = spawn_app().await;
    let demo_accounts = 1 + demo::IMPORTED.len() as u64;
    let before = coverage(&app, demo::COURT_ID).await.unwrap();
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
    let linked = coverage(&app, demo::COURT_ID).await.unwrap();
    app.unlink(demo::ECF_LOGIN).await.unwrap();
    let unlinked = coverage(&app, demo::COURT_ID).await.unwrap();

    let counts = |c: &proto::LinkCoverage| (c.ecf_accounts, c.linked, c.unlinked);
    assert_eq!(counts(&before), (demo_accounts, 0, demo_accounts));
    assert_eq!(counts(&linked), (demo_accounts, 1, demo_accounts - 1));
    assert_eq!(counts(&unlinked), counts(&before));
    let unknown = expect_err(coverage(&app, "zzz").await);
    assert_reason(&unknown, Code::NotFound, reason::UNKNOWN_COURT);
}

#[tokio::test]
async fn unlinked_accounts_with_failed_sign_ins_are_counted_and_shown() {
    let app = spawn_app().await;
    let token = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap()
        .flow_token;
    expect_err(
        app.verify_ecf(&token, demo::ECF_LOGIN, "Wrong-Password-123")
            .await,
    );

    let counted = coverage(&app, demo::COURT_ID).await.unwrap();
    let page = list(&app, LinkState::Unlinked, 1000, "").await.unwrap();

    assert_eq!(counted.unlinked_with_failed_attempts, 1);
    let tried = page.accounts.iter().find(|a| a.login == demo::ECF_LOGIN);
    assert!(tried.unwrap().last_failure_time.is_some());
}

#[tokio::test]
async fn listings_page_in_login_order_and_split_by_link_state() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();

    let every = all_logins(&app, LinkState::Any, 2).await;
    let at_once = all_logins(&app, LinkState::Unspecified, 1000).await;
    let linked = list(&app, LinkState::Linked, 0, "").await.unwrap();
    let unlinked = all_logins(&app, LinkState::Unlinked, 3).await;

    let mut sorted = every.clone();
    sorted.sort();
    assert_eq!(every, sorted);
    assert_eq!(every, at_once);
    assert_eq!(every.len(), 1 + demo::IMPORTED.len());
    assert_eq!(linked.accounts.len(), 1);
    assert_eq!(linked.accounts[0].login, demo::ECF_LOGIN);
    assert_eq!(linked.accounts[0].pacer_username, demo::PACER_USERNAME);
    assert!(!unlinked.contains(&demo::ECF_LOGIN.to_owned()));
    assert_eq!(unlinked.len(), every.len() - 1);
}

#[tokio::test]
async fn a_page_token_is_refused_with_other_filters() {
    let app = spawn_app().await;
    let first = list(&app, LinkState::Unlinked, 1, "").await.unwrap();

    let other_state = list(&app, LinkState::Linked, 1, &first.next_page_token).await;
    let forged = list(&app, LinkState::Unlinked, 1, "bm90LWEtdG9rZW4").await;

    assert!(!first.next_page_token.is_empty());
    assert_reason(
        &expect_err(other_state),
        Code::InvalidArgument,
        reason::INVALID_ARGUMENT,
    );
    assert_reason(
        &expect_err(forged),
        Code::InvalidArgument,
        reason::INVALID_ARGUMENT,
    );
}
