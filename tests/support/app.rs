//! `spawn_app()`: the real server on 127.0.0.1:0 over a fresh database,
//! with generated clients pointed at it.
use std::{net::SocketAddr, sync::Arc, time::Duration};

use pacer_link::{
    clock::ManualClock,
    config::{Secrets, ServeArgs, Settings},
    mfa::TotpKey,
    proto::{
        self, account_admin_service_client::AccountAdminServiceClient,
        account_link_service_client::AccountLinkServiceClient,
        filer_auth_service_client::FilerAuthServiceClient,
        link_status_service_client::LinkStatusServiceClient,
    },
    startup::Application,
    store::{Backend, PoolSettings},
    throttle::ThrottleSettings,
};
use tokio::sync::oneshot;
use tonic::{Request, transport::Channel};

use super::database::TestDatabase;

/// The admin token every test server is configured with.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A running server and clients for it. Dropping it stops the server.
pub struct TestApp {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// The database it uses.
    pub db: Arc<TestDatabase>,
    /// The server's clock; advance it to expire flows.
    pub clock: Arc<ManualClock>,
    /// A client of AccountLinkService.
    pub link: AccountLinkServiceClient<Channel>,
    /// A client of AccountAdminService (add the token with `admin_request`).
    pub admin: AccountAdminServiceClient<Channel>,
    /// A client of LinkStatusService.
    pub status: LinkStatusServiceClient<Channel>,
    /// A client of FilerAuthService.
    pub filer: FilerAuthServiceClient<Channel>,
    /// A raw channel, for health and reflection clients.
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestApp {
    /// Stops the server and waits until it has closed its database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

/// The TOTP sealing key of test servers.
pub const TOTP_KEY: &str = "8f4e2c1a9b7d6e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778";

/// The settings a test server starts with: the real defaults (an empty
/// command line), with demo data, the test secrets, a free port and faster
/// timings.
pub fn test_settings(database_url: String) -> Settings {
    let mut args = ServeArgs::defaults();
    args.database.database_url = Some(database_url);
    let secrets = Secrets {
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        totp_key: Some(TotpKey::from_hex(TOTP_KEY).unwrap()),
    };
    let mut settings = args.settings_with(secrets).expect("default settings");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.demo = true;
    // Many tests share a loaded machine: a slow connection is not an outage.
    settings.pool = PoolSettings {
        max_connections: 20,
        acquire_timeout: Duration::from_secs(5),
    };
    // Fixed, so that tests behave alike on any number of cores.
    settings.hash_concurrency = 2;
    // Deep enough that the concurrency tests measure races, not shedding.
    settings.hash_queue_depth = 256;
    // Every test client calls from 127.0.0.1.
    settings.throttle = ThrottleSettings::OFF;
    settings.shutdown.grace = Duration::from_secs(5);
    settings.events.poll_interval = Duration::from_millis(200);
    settings
}

/// Starts a server with the default test settings over a fresh database
/// on `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts a server whose settings `adjust` may change.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = Arc::new(TestDatabase::fresh(backend).await);
    spawn_app_on(db, adjust).await
}

/// Starts a server over an existing test database (e.g. to restart on it).
pub async fn spawn_app_on(db: Arc<TestDatabase>, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(db.url.clone());
    adjust(&mut settings);
    let clock = Arc::new(ManualClock::starting_now());
    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("build application");
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect to test server");
    TestApp {
        addr,
        db,
        clock,
        link: AccountLinkServiceClient::new(channel.clone()),
        admin: AccountAdminServiceClient::new(channel.clone()),
        status: LinkStatusServiceClient::new(channel.clone()),
        filer: FilerAuthServiceClient::new(channel.clone()),
        channel,
        stop: Some(stop),
        done: Some(done),
    }
}

/// Wraps an admin message with the test admin token.
pub fn admin_request<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    request
}

impl TestApp {
    /// Adds a second court, `ksd` (Kansas, logins beginning "ks"), as an admin.
    pub async fn create_kansas_court(&self) {
        self.admin
            .clone()
            .create_court(admin_request(proto::CreateCourtRequest {
                court_id: "ksd".into(),
                name: "U.S. District Court, District of Kansas".into(),
                ecf_login_prefix: "ks".into(),
                environment: String::new(),
            }))
            .await
            .unwrap();
    }

    /// Step 2 with the given credentials in court `cod`.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<proto::AuthenticatePacerResponse, tonic::Status> {
        self.authenticate_with_code(username, password, "").await
    }

    /// Step 2 with a one-time code as well.
    pub async fn authenticate_with_code(
        &self,
        username: &str,
        password: &str,
        otp_code: &str,
    ) -> Result<proto::AuthenticatePacerResponse, tonic::Status> {
        let mut client = self.link.clone();
        client
            .authenticate_pacer(proto::AuthenticatePacerRequest {
                court_id: "cod".into(),
                username: username.into(),
                password: password.into(),
                client_code: String::new(),
                otp_code: otp_code.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Step 3.
    pub async fn verify_ecf(
        &self,
        token: &str,
        login: &str,
        password: &str,
    ) -> Result<proto::VerifyEcfResponse, tonic::Status> {
        let mut client = self.link.clone();
        client
            .verify_ecf(proto::VerifyEcfRequest {
                flow_token: token.into(),
                ecf_login: login.into(),
                ecf_password: password.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Step 4.
    pub async fn preview(&self, token: &str) -> Result<proto::PreviewLinkResponse, tonic::Status> {
        let mut client = self.link.clone();
        client
            .preview_link(proto::PreviewLinkRequest {
                flow_token: token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Step 5.
    pub async fn confirm(&self, token: &str) -> Result<proto::ConfirmLinkResponse, tonic::Status> {
        let mut client = self.link.clone();
        client
            .confirm_link(proto::ConfirmLinkRequest {
                flow_token: token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Creates an upgraded PACER account through the admin API.
    pub async fn create_pacer(&self, username: &str, password: &str, display_name: &str) {
        self.admin
            .clone()
            .create_pacer_account(admin_request(proto::CreatePacerAccountRequest {
                username: username.into(),
                password: password.into(),
                display_name: display_name.into(),
                upgraded: true,
            }))
            .await
            .expect("create PACER account");
    }

    /// Creates a CM/ECF account in `cod` through the admin API.
    pub async fn create_ecf(&self, login: &str, password: &str, display_name: &str) {
        self.admin
            .clone()
            .create_ecf_account(admin_request(proto::CreateEcfAccountRequest {
                court_id: "cod".into(),
                login: login.into(),
                password: password.into(),
                display_name: display_name.into(),
            }))
            .await
            .expect("create CM/ECF account");
    }

    /// Follows the event stream from `after`, for `court` ("" for all).
    pub async fn watch(&self, after: u64, court: &str) -> tonic::Streaming<proto::LinkEvent> {
        self.status
            .clone()
            .watch_link_events(proto::WatchLinkEventsRequest {
                after_sequence: after,
                court_id: court.into(),
                heartbeat_seconds: 0,
            })
            .await
            .expect("WatchLinkEvents")
            .into_inner()
    }

    /// Removes the link of `login` in `cod` through the admin API.
    pub async fn unlink(&self, login: &str) -> Result<proto::UnlinkResponse, tonic::Status> {
        self.admin
            .clone()
            .unlink(admin_request(proto::UnlinkRequest {
                request_id: String::new(),
                court_id: "cod".into(),
                ecf_login: login.into(),
                reason: "filer asked to link another PACER account".into(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Gives the CM/ECF account `login` in `cod` a new password through the admin API.
    pub async fn reset_ecf_password(
        &self,
        login: &str,
        new_password: &str,
    ) -> Result<proto::ResetEcfPasswordResponse, tonic::Status> {
        self.admin
            .clone()
            .reset_ecf_password(admin_request(proto::ResetEcfPasswordRequest {
                court_id: "cod".into(),
                ecf_login: login.into(),
                new_password: new_password.into(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Signs in to CM/ECF in `cod` with PACER credentials.
    pub async fn authenticate_filer(
        &self,
        username: &str,
        password: &str,
    ) -> Result<proto::AuthenticateFilerResponse, tonic::Status> {
        self.filer
            .clone()
            .authenticate_filer(proto::AuthenticateFilerRequest {
                court_id: "cod".into(),
                username: username.into(),
                password: password.into(),
                otp_code: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Steps 2 and 3 for the demo's Humbert Humbert and ColoradoTest AttorneyTwo.
    pub async fn demo_flow(&self) -> String {
        use pacer_link::linking::demo;
        self.verified_flow(
            (demo::PACER_USERNAME, demo::PACER_PASSWORD),
            (demo::ECF_LOGIN, demo::ECF_PASSWORD),
        )
        .await
    }

    /// Steps 2 and 3 for given accounts; returns the flow token.
    pub async fn verified_flow(&self, pacer: (&str, &str), ecf: (&str, &str)) -> String {
        let token = self
            .authenticate(pacer.0, pacer.1)
            .await
            .expect("AuthenticatePacer")
            .flow_token;
        self.verify_ecf(&token, ecf.0, ecf.1)
            .await
            .expect("VerifyEcf");
        token
    }
}
