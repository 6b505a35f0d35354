//! `pacer-link web`: a reference CM/ECF front-end for the court's screens,
//! server-rendered with plain HTML forms. It reaches the service only as a
//! gRPC client (as the court's own CM/ECF would), and keeps each filer's flow
//! token on the server behind an opaque session cookie.
mod link;
mod login;
pub mod pages;
mod proxies;
mod security;
pub mod session;
pub mod upstream;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, StatusCode, header};
use tokio::net::TcpListener;

use pages::CourtView;
use session::{Lookup, Session, SessionId, Sessions};
use upstream::{Problem, Upstream};

pub use proxies::ProxyRange;
pub use security::{CONTENT_SECURITY_POLICY, COOKIE};

/// Where the filer's address comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAddress {
    /// The TCP peer: browsers connect directly (the demo, a loopback test).
    Peer,
    /// The last `x-forwarded-for` hop, appended by the TLS-terminating
    /// proxy in front of this server, when the peer is one of these
    /// proxies; otherwise (or when the header is missing) the peer.
    ForwardedBy(Arc<[ProxyRange]>),
}

impl ClientAddress {
    /// The filer's address for a request from `peer` with `headers`.
    pub fn of(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.ip().to_canonical();
        match self {
            ClientAddress::ForwardedBy(proxies) if proxies.iter().any(|p| p.contains(peer)) => {
                headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .next_back()
                    .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
                    .map_or(peer, |ip| ip.to_canonical())
            }
            _ => peer,
        }
    }
}

/// The front-end's settings.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The service's gRPC address, e.g. `http://127.0.0.1:50051`.
    pub upstream: String,
    /// The court whose CM/ECF this front-end is.
    pub court_id: String,
    /// Where filers' addresses come from.
    pub client_address: ClientAddress,
    /// Most live sessions at once.
    pub max_sessions: usize,
}

/// What every handler shares.
#[derive(Clone)]
struct Web {
    upstream: Upstream,
    sessions: Arc<Sessions>,
    court_id: Arc<str>,
    court: Arc<tokio::sync::OnceCell<CourtView>>,
    client_address: ClientAddress,
}

/// The front-end's routes, ready to serve.
pub fn router(settings: &WebSettings) -> Result<(Router, Arc<Sessions>), String> {
    let sessions = Arc::new(Sessions::new(settings.max_sessions));
    let web = Web {
        upstream: Upstream::new(&settings.upstream)?,
        sessions: sessions.clone(),
        court_id: settings.court_id.as_str().into(),
        court: Arc::default(),
        client_address: settings.client_address.clone(),
    };
    let router = Router::new()
        .route("/", get(splash))
        .route("/link", get(link::pacer_form).post(link::pacer_submit))
        .route("/link/ecf", get(link::ecf_form).post(link::ecf_submit))
        .route("/link/verify", get(link::preview).post(link::confirm))
        .route("/link/done", get(link::done))
        .route("/login", get(login::form).post(login::submit))
        .route("/login/welcome", get(login::welcome))
        .route("/static/site.css", get(stylesheet))
        // Sign-in forms are a few hundred bytes.
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(axum::middleware::from_fn(security::headers));
    // Behind its TLS proxy the site is HTTPS only: browsers are told so.
    let router = match settings.client_address {
        ClientAddress::ForwardedBy(_) => {
            router.layer(axum::middleware::from_fn(security::strict_transport))
        }
        ClientAddress::Peer => router,
    };
    let router = router.with_state(web);
    Ok((router, sessions))
}

/// Serves the front-end on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    settings: WebSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (router, _) =
        router(&settings).map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

/// One request's session: the live one its cookie names, or a new one.
struct Visit {
    id: SessionId,
    session: Session,
    /// The cookie must be set (a new session).
    new: bool,
    /// The request's cookie named a session that had ended.
    ended: bool,
}

/// Why a form post is not acted on.
enum Refused {
    /// Its session ended: show the start again, with a new session.
    Ended(Box<Visit>),
    /// No CSRF token, or not this session's: refused outright.
    Forged,
}

impl Web {
    /// The court's record, read from the service once.
    async fn court(&self) -> Result<CourtView, Response> {
        self.court
            .get_or_try_init(|| async {
                let court = self.upstream.court(&self.court_id).await?;
                Ok::<_, Problem>(CourtView {
                    name: court.name,
                    environment: court.environment,
                    prefix: court.ecf_login_prefix,
                })
            })
            .await
            .cloned()
            .map_err(|_| unavailable())
    }

    fn visit(&self, headers: &HeaderMap) -> Visit {
        let now = Instant::now();
        let mut ended = false;
        if let Some(id) = security::session_cookie(headers) {
            match self.sessions.find(id, now) {
                Lookup::Live(id, session) => {
                    return Visit {
                        id,
                        session,
                        new: false,
                        ended: false,
                    };
                }
                // Ended, forged, or issued before a restart: a new session.
                Lookup::Ended => ended = true,
                Lookup::Absent => {}
            }
        }
        let (id, session) = self.sessions.start(now);
        Visit {
            id,
            session,
            new: true,
            ended,
        }
    }

    /// The session of a form post whose CSRF token matches.
    fn posted(&self, headers: &HeaderMap, csrf: &str) -> Result<Visit, Refused> {
        // A post with no session cookie at all never came from one of our
        // forms (a cross-site post arrives without it: SameSite=Strict).
        if security::session_cookie(headers).is_none() {
            return Err(Refused::Forged);
        }
        let visit = self.visit(headers);
        if visit.new {
            return Err(Refused::Ended(Box::new(visit)));
        }
        if !visit.session.csrf_matches(csrf) {
            return Err(Refused::Forged);
        }
        Ok(visit)
    }

    /// A page of the court's, in `visit`'s session; the court's record is
    /// what every page names.
    async fn render(
        &self,
        visit: &Visit,
        status: StatusCode,
        view: impl FnOnce(&CourtView) -> maud::Markup,
    ) -> Response {
        match self.court().await {
            Ok(court) => page(Some(visit), status, view(&court)),
            Err(response) => response,
        }
    }

    /// The filer's address, as the service asks a front-end to name it.
    fn filer(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        self.client_address.of(peer, headers)
    }
}

/// After a sign-in: on to `next` in the renewed session, or, when no
/// signed-in session could be made, the page saying to try again later.
fn signed_in_to(renewed: Result<(SessionId, Session), session::Full>, next: &str) -> Response {
    match renewed {
        Ok((id, _)) => {
            let mut response = axum::response::Redirect::to(next).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, security::set_cookie(&id));
            response
        }
        Err(session::Full) => {
            tracing::warn!("every signed-in session is live: a sign-in was turned away");
            unavailable()
        }
    }
}

/// A page, setting the session cookie when the session is new.
fn page(visit: Option<&Visit>, status: StatusCode, markup: maud::Markup) -> Response {
    let mut response = (status, Html(markup.into_string())).into_response();
    if let Some(visit) = visit.filter(|v| v.new) {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, security::set_cookie(&visit.id));
    }
    response
}

fn unavailable() -> Response {
    page(
        None,
        StatusCode::SERVICE_UNAVAILABLE,
        pages::refused(
            "Service unavailable",
            "The service is unavailable right now. Nothing was changed; please try again in a few minutes.",
        ),
    )
}

fn forged() -> Response {
    page(
        None,
        StatusCode::FORBIDDEN,
        pages::refused(
            "This form cannot be accepted",
            "This form has expired or did not come from this site, so nothing was done. Start again.",
        ),
    )
}

/// A posted form. One that cannot be read (not a form, a field twice, not
/// UTF-8) gets a page saying so, never the parser's own words.
struct Posted<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(form)) => Ok(Posted(form)),
            Err(_) => Err(page(
                None,
                StatusCode::BAD_REQUEST,
                pages::refused(
                    "This form cannot be read",
                    "Nothing was done. Go back to the page and send it again.",
                ),
            )),
        }
    }
}

/// The HTTP status that goes with a problem shown on a page.
fn status_of(problem: &Problem) -> StatusCode {
    match problem {
        // A form shown again with its error: not 401, which would ask for
        // HTTP authentication (WWW-Authenticate) that this site does not use.
        Problem::WrongCredentials => StatusCode::UNPROCESSABLE_ENTITY,
        Problem::PasscodeNeeded => StatusCode::OK,
        Problem::NotUpgraded | Problem::NotLinked => StatusCode::FORBIDDEN,
        Problem::WrongPrefix | Problem::BadField(..) => StatusCode::UNPROCESSABLE_ENTITY,
        Problem::PacerAlreadyLinked | Problem::EcfAlreadyLinked => StatusCode::CONFLICT,
        Problem::FlowExpired => StatusCode::OK,
        Problem::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        Problem::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Adds `Retry-After` when the problem says when to retry.
fn with_retry_after(mut response: Response, problem: &Problem) -> Response {
    if let Problem::TooMany(wait) = problem
        && let Ok(value) = wait.as_secs().max(1).to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn splash(State(web): State<Web>) -> Response {
    match web.court().await {
        Ok(court) => page(None, StatusCode::OK, pages::splash(&court)),
        Err(response) => response,
    }
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLESHEET,
    )
        .into_response()
}

/// The peer address of a request.
type Peer = ConnectInfo<SocketAddr>;
