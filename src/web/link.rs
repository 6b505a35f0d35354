//! Steps 2 to 5: PACER login, CM/ECF login, the preview and the confirmation.
use std::time::{Duration, Instant, SystemTime};

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::pages::{self, SignInForm};
use super::session::{Flow, IDLE_LIFE};
use super::upstream::Problem;
use super::{
    Peer, Posted, Refused, Visit, Web, forged, page, signed_in_to, status_of, with_retry_after,
};
use crate::domain::FlowToken;
use crate::linking::LINKED_MESSAGE;
use crate::proto;

/// The PACER login form as posted.
#[derive(Deserialize)]
pub(super) struct PacerLogin {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    client_code: String,
    #[serde(default)]
    otp_code: Option<String>,
}

/// The CM/ECF login form as posted.
#[derive(Deserialize)]
pub(super) struct EcfLogin {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ecf_login: String,
    #[serde(default)]
    ecf_password: String,
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub(super) struct Confirm {
    #[serde(default)]
    csrf: String,
}

/// Shows the PACER login with `error`, in `visit`'s session.
async fn pacer_page(
    web: &Web,
    visit: &Visit,
    form: &SignInForm<'_>,
    status: StatusCode,
) -> Response {
    web.render(visit, status, |court| {
        pages::pacer_login(court, &visit.session.csrf, form)
    })
    .await
}

/// No flow in this session: the filer starts at the PACER login, told
/// that the session expired when there was one to expire.
async fn start_again(web: &Web, visit: &Visit) -> Response {
    let Ok(court) = web.court().await else {
        return super::unavailable();
    };
    let expired = visit.ended || visit.session.signed_in();
    let form = SignInForm {
        error: expired.then(|| pages::message(&Problem::FlowExpired, &court, false)),
        ..SignInForm::default()
    };
    pacer_page(web, visit, &form, StatusCode::OK).await
}

/// Ends `flow` in the session (if it still holds it); the session lives
/// on for a new one.
fn end_flow(web: &Web, visit: &Visit, flow: &Flow) {
    web.sessions
        .update_flow(&visit.id, &flow.token, Instant::now(), |s| {
            s.flow = None;
            s.expires = Instant::now() + IDLE_LIFE;
        });
}

/// A refused post: a new start for an ended session, 403 for a forged one.
async fn refused(web: &Web, refused: Refused) -> Response {
    match refused {
        Refused::Ended(visit) => start_again(web, &visit).await,
        Refused::Forged => forged(),
    }
}

pub(super) async fn pacer_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = web.visit(&headers);
    pacer_page(&web, &visit, &SignInForm::default(), StatusCode::OK).await
}

pub(super) async fn pacer_submit(
    State(web): State<Web>,
    peer: Peer,
    headers: HeaderMap,
    Posted(form): Posted<PacerLogin>,
) -> Response {
    let visit = match web.posted(&headers, &form.csrf) {
        Ok(visit) => visit,
        Err(refusal) => return refused(&web, refusal).await,
    };
    let court = match web.court().await {
        Ok(court) => court,
        Err(response) => return response,
    };
    let answer = web
        .upstream
        .authenticate_pacer(
            web.filer(peer.0, &headers),
            proto::AuthenticatePacerRequest {
                court_id: web.court_id.to_string(),
                username: form.username.clone(),
                password: form.password,
                client_code: form.client_code.clone(),
                otp_code: form.otp_code.clone().unwrap_or_default(),
            },
        )
        .await;
    let started = match answer {
        Ok(started) => started,
        Err(problem) => {
            let shown = SignInForm {
                username: &form.username,
                client_code: &form.client_code,
                passcode: problem == Problem::PasscodeNeeded || form.otp_code.is_some(),
                error: Some(pages::message(&problem, &court, false)),
            };
            let response = pacer_page(&web, &visit, &shown, status_of(&problem)).await;
            return with_retry_after(response, &problem);
        }
    };
    let Ok(token) = FlowToken::parse(&started.flow_token) else {
        tracing::warn!("the service answered a sign-in with a malformed flow token");
        return super::unavailable();
    };
    // The session ends when the flow does: the service's expiry, measured
    // on this host's clock as time left. Without one that is still ahead
    // here (clocks differ), the session takes the idle life and the
    // service's FLOW_EXPIRED ends it.
    let left = started
        .expires_at
        .and_then(|at| SystemTime::try_from(at).ok())
        .and_then(|at| at.duration_since(SystemTime::now()).ok())
        .filter(|left| !left.is_zero())
        .unwrap_or(IDLE_LIFE)
        .min(Duration::from_secs(3600));
    let pacer_name = started
        .pacer_account
        .map(|a| a.display_name)
        .unwrap_or_default();
    let flow = Flow {
        token,
        pacer_name,
        ecf_verified: false,
    };
    let now = Instant::now();
    let renewed = web.sessions.sign_in(&visit.id, flow, now + left, now);
    signed_in_to(renewed, "/link/ecf")
}

pub(super) async fn ecf_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = web.visit(&headers);
    let Some(flow) = visit.session.flow.clone() else {
        return start_again(&web, &visit).await;
    };
    web.render(&visit, StatusCode::OK, |court| {
        pages::ecf_login(court, &visit.session.csrf, &flow.pacer_name, "", None)
    })
    .await
}

pub(super) async fn ecf_submit(
    State(web): State<Web>,
    peer: Peer,
    headers: HeaderMap,
    Posted(form): Posted<EcfLogin>,
) -> Response {
    let visit = match web.posted(&headers, &form.csrf) {
        Ok(visit) => visit,
        Err(refusal) => return refused(&web, refusal).await,
    };
    let Some(flow) = visit.session.flow.clone() else {
        return start_again(&web, &visit).await;
    };
    let court = match web.court().await {
        Ok(court) => court,
        Err(response) => return response,
    };
    let answer = web
        .upstream
        .verify_ecf(
            web.filer(peer.0, &headers),
            proto::VerifyEcfRequest {
                flow_token: flow.token.expose().to_owned(),
                ecf_login: form.ecf_login.clone(),
                ecf_password: form.ecf_password,
            },
        )
        .await;
    match answer {
        Ok(_) => {
            web.sessions
                .update_flow(&visit.id, &flow.token, Instant::now(), |s| {
                    if let Some(flow) = s.flow.as_mut() {
                        flow.ecf_verified = true;
                    }
                });
            Redirect::to("/link/verify").into_response()
        }
        Err(Problem::FlowExpired) => {
            end_flow(&web, &visit, &flow);
            start_again(&web, &visit).await
        }
        Err(problem) => {
            let error = pages::message(&problem, &court, true);
            let markup = pages::ecf_login(
                &court,
                &visit.session.csrf,
                &flow.pacer_name,
                &form.ecf_login,
                Some(&error),
            );
            with_retry_after(page(Some(&visit), status_of(&problem), markup), &problem)
        }
    }
}

pub(super) async fn preview(State(web): State<Web>, peer: Peer, headers: HeaderMap) -> Response {
    let visit = web.visit(&headers);
    let Some(flow) = visit.session.flow.clone() else {
        return start_again(&web, &visit).await;
    };
    if !flow.ecf_verified {
        return Redirect::to("/link/ecf").into_response();
    }
    let court = match web.court().await {
        Ok(court) => court,
        Err(response) => return response,
    };
    let answer = web
        .upstream
        .preview(
            web.filer(peer.0, &headers),
            proto::PreviewLinkRequest {
                flow_token: flow.token.expose().to_owned(),
            },
        )
        .await;
    match answer {
        Ok(preview) => page(
            Some(&visit),
            StatusCode::OK,
            pages::verify(&court, &visit.session.csrf, &preview, None),
        ),
        Err(Problem::FlowExpired) => {
            end_flow(&web, &visit, &flow);
            start_again(&web, &visit).await
        }
        Err(problem) => problem_page(&visit, &court, &problem),
    }
}

/// What went wrong at the preview or the confirmation, on a page of its own.
fn problem_page(visit: &Visit, court: &pages::CourtView, problem: &Problem) -> Response {
    let markup = pages::refused(pages::LINK_HEADING, &pages::message(problem, court, false));
    with_retry_after(page(Some(visit), status_of(problem), markup), problem)
}

pub(super) async fn confirm(
    State(web): State<Web>,
    peer: Peer,
    headers: HeaderMap,
    Posted(form): Posted<Confirm>,
) -> Response {
    let visit = match web.posted(&headers, &form.csrf) {
        Ok(visit) => visit,
        Err(refusal) => return refused(&web, refusal).await,
    };
    if visit.session.flow.is_none() && visit.session.linked.is_some() {
        // A second press of Submit after the first linked the accounts.
        return Redirect::to("/link/done").into_response();
    }
    let Some(flow) = visit.session.flow.clone().filter(|f| f.ecf_verified) else {
        return start_again(&web, &visit).await;
    };
    let court = match web.court().await {
        Ok(court) => court,
        Err(response) => return response,
    };
    let answer = web
        .upstream
        .confirm(
            web.filer(peer.0, &headers),
            proto::ConfirmLinkRequest {
                flow_token: flow.token.expose().to_owned(),
            },
        )
        .await;
    match answer {
        Ok(linked) => {
            let message = if linked.message.is_empty() {
                LINKED_MESSAGE.to_owned()
            } else {
                linked.message
            };
            web.sessions
                .update_flow(&visit.id, &flow.token, Instant::now(), |s| {
                    s.flow = None;
                    s.linked = Some(message);
                    s.expires = Instant::now() + IDLE_LIFE;
                });
            Redirect::to("/link/done").into_response()
        }
        Err(Problem::FlowExpired) => {
            end_flow(&web, &visit, &flow);
            start_again(&web, &visit).await
        }
        Err(problem @ Problem::EcfAlreadyLinked) => {
            // Another flow linked this CM/ECF account first: pick another.
            web.sessions
                .update_flow(&visit.id, &flow.token, Instant::now(), |s| {
                    if let Some(flow) = s.flow.as_mut() {
                        flow.ecf_verified = false;
                    }
                });
            let error = pages::message(&problem, &court, true);
            let markup = pages::ecf_login(
                &court,
                &visit.session.csrf,
                &flow.pacer_name,
                "",
                Some(&error),
            );
            page(Some(&visit), status_of(&problem), markup)
        }
        Err(problem) => {
            if problem == Problem::PacerAlreadyLinked {
                end_flow(&web, &visit, &flow);
            }
            problem_page(&visit, &court, &problem)
        }
    }
}

pub(super) async fn done(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = web.visit(&headers);
    let Some(message) = visit.session.linked.clone() else {
        return Redirect::to("/").into_response();
    };
    web.render(&visit, StatusCode::OK, |court| {
        pages::linked(court, &message)
    })
    .await
}
