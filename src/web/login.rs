//! Step 6: the CM/ECF login once linked, with PACER credentials only.
use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::pages::{self, SignInForm};
use super::session::IDLE_LIFE;
use super::upstream::Problem;
use super::{Peer, Posted, Refused, Visit, Web, forged, signed_in_to, status_of, with_retry_after};
use crate::proto;

/// The CM/ECF login form as posted.
#[derive(Deserialize)]
pub(super) struct FilerLogin {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp_code: Option<String>,
}

async fn login_page(
    web: &Web,
    visit: &Visit,
    form: &SignInForm<'_>,
    status: StatusCode,
) -> Response {
    web.render(visit, status, |court| {
        pages::filer_login(court, &visit.session.csrf, form)
    })
    .await
}

pub(super) async fn form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = web.visit(&headers);
    login_page(&web, &visit, &SignInForm::default(), StatusCode::OK).await
}

pub(super) async fn submit(
    State(web): State<Web>,
    peer: Peer,
    headers: HeaderMap,
    Posted(form): Posted<FilerLogin>,
) -> Response {
    let visit = match web.posted(&headers, &form.csrf) {
        Ok(visit) => visit,
        Err(Refused::Ended(visit)) => {
            let shown = SignInForm {
                username: &form.username,
                error: Some(pages::SIGN_IN_AGAIN.to_owned()),
                ..SignInForm::default()
            };
            return login_page(&web, &visit, &shown, StatusCode::OK).await;
        }
        Err(Refused::Forged) => return forged(),
    };
    let court = match web.court().await {
        Ok(court) => court,
        Err(response) => return response,
    };
    let answer = web
        .upstream
        .authenticate_filer(
            web.filer(peer.0, &headers),
            proto::AuthenticateFilerRequest {
                court_id: web.court_id.to_string(),
                username: form.username.clone(),
                password: form.password,
                otp_code: form.otp_code.clone().unwrap_or_default(),
            },
        )
        .await;
    match answer {
        Ok(signed_in) => {
            let ecf_name = signed_in
                .ecf_account
                .map(|a| a.display_name)
                .unwrap_or_default();
            // A new session for the signed-in filer, and the greeting shown
            // after a redirect: reloading it never posts the password again.
            let now = Instant::now();
            let filer = (ecf_name, signed_in.pacer_username);
            let renewed = web
                .sessions
                .renew(&visit.id, now + IDLE_LIFE, now, |s| s.filer = Some(filer));
            signed_in_to(renewed, "/login/welcome")
        }
        Err(problem) => {
            let shown = SignInForm {
                username: &form.username,
                client_code: "",
                passcode: problem == Problem::PasscodeNeeded || form.otp_code.is_some(),
                error: Some(pages::message(&problem, &court, false)),
            };
            let response = login_page(&web, &visit, &shown, status_of(&problem)).await;
            with_retry_after(response, &problem)
        }
    }
}

/// Step 6 done: the greeting, from the session the sign-in made.
pub(super) async fn welcome(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = web.visit(&headers);
    let Some((ecf_name, pacer_username)) = visit.session.filer.clone() else {
        return Redirect::to("/login").into_response();
    };
    web.render(&visit, StatusCode::OK, |court| {
        pages::signed_in(court, &ecf_name, &pacer_username)
    })
    .await
}
