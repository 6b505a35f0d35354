//! `Application`: binds the port, wires the store, services, health and
//! reflection, and serves until told to stop.
use anyhow::Context as _;
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig, server::TcpIncoming};
use tonic_health::ServingStatus;

use crate::audit::AuditLayer;
use crate::clock::{Clock, SystemClock};
use crate::config::{Settings, ShutdownSettings, TransportSettings};
use crate::events::{EventHub, StreamSlots};
use crate::grpc::{
    AccountAdminApi, AccountLinkApi, AdminAuth, FilerAuthApi, LinkStatusApi, OversizeLayer,
};
use crate::health::{self, LIVENESS};
use crate::housekeeping::Housekeeper;
use crate::identity::{AuthorizeLayer, IdentityLayer};
use crate::linking::{AdminService, Credentials, LinkService, StatusCache, StatusService, demo};
use crate::password::PasswordHasher;
use crate::proto::{
    FILE_DESCRIPTOR_SET, account_admin_service_server::AccountAdminServiceServer,
    account_link_service_server::AccountLinkServiceServer,
    filer_auth_service_server::FilerAuthServiceServer,
    link_status_service_server::LinkStatusServiceServer,
};
use crate::store::{self, Backend, Store, StoreError};
use crate::telemetry::RpcTelemetryLayer;
use crate::throttle::{Refusals, SourceLimiter, ThrottleLayer};

pub use crate::grpc::demo_accounts;

/// A built, bound service ready to run.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    web_listener: Option<TcpListener>,
    store: Arc<dyn Store>,
    links: LinkService,
    admin: AdminService,
    admin_auth: AdminAuth,
    status: StatusService,
    hub: Arc<EventHub>,
    stream_buffer: usize,
    transport: TransportSettings,
    stop_streams: tokio::sync::watch::Sender<bool>,
    shutdown: ShutdownSettings,
    max_request_bytes: usize,
    audit: AuditLayer,
    throttle: ThrottleLayer,
    identity: IdentityLayer,
    authorize: AuthorizeLayer,
    tls: Option<ServerTlsConfig>,
}

impl Application {
    /// Builds with the system clock.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Builds with a given clock: connects, migrates, loads demo data, binds.
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        if Backend::of(&settings.database_url) == Ok(Backend::Sqlite) {
            tracing::warn!(
                "using the embedded SQLite store: for a single instance only; \
                 set DATABASE_URL=postgres://... to run replicas"
            );
        }
        let store = store::open(&settings.database_url, &settings.pool).await?;
        if settings.migrate {
            migrate_with_backoff(store.as_ref()).await?;
        }
        if settings.totp_key.is_none() {
            refuse_unopenable_second_factors(store.as_ref()).await?;
        }
        let hasher = PasswordHasher::new(
            settings.hash_params,
            settings.hash_concurrency,
            settings.hash_queue_depth,
        )?;
        let credentials = Credentials::new(
            store.clone(),
            hasher.clone(),
            clock.clone(),
            settings.lockout,
            settings.totp_key.clone(),
        );
        let (stop_streams, streams_stopped) = tokio::sync::watch::channel(false);
        let hub = EventHub::start(store.clone(), &settings.events, streams_stopped);
        let cache = (!settings.status_cache_ttl.is_zero())
            .then(|| StatusCache::start(settings.status_cache_ttl, hub.subscribe()));
        let links = LinkService::new(
            store.clone(),
            credentials.clone(),
            clock.clone(),
            settings.flow_ttl,
        )
        .with_status_cache(cache.clone());
        if let Some(interval) = settings.housekeeping.interval {
            // Stops with the streams: when the server stops, or is dropped unrun.
            Housekeeper::new(
                store.clone(),
                clock.clone(),
                settings.lockout.forget_after,
                settings.housekeeping.audit_retention,
            )
            .spawn(interval, stop_streams.subscribe());
        }
        let audit = AuditLayer::new(store.clone(), clock.clone(), settings.source_policy);
        let admin = AdminService::new(store.clone(), hasher, clock, settings.totp_key.clone())
            .with_status_cache(cache.clone())
            .with_lockout_policy(settings.lockout);
        let status = StatusService::new(store.clone(), credentials, cache);
        if settings.demo {
            demo::load(&admin, demo_accounts()?).await?;
            tracing::info!("demo data loaded");
        }
        let operators = settings.all_operators();
        if operators.is_empty() {
            tracing::warn!("no operator configured: every admin call will be refused");
        }
        if settings.callers.policy.is_none() {
            tracing::warn!("no PACER_LINK_CALLER_POLICY_FILE: every caller may call anything");
        }
        let listener = TcpListener::bind(settings.listen).await?;
        let metrics_listener = match settings.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        // The demo shows the court's screens too; a plaintext gRPC port is
        // what its front-end dials.
        let web_listener = match settings.web_listen {
            Some(addr) if settings.tls.is_none() => {
                Some(TcpListener::bind(addr).await.with_context(|| {
                    format!(
                        "cannot serve the demo's web pages on {addr}: \
                         set PACER_LINK_WEB_LISTEN to a free address"
                    )
                })?)
            }
            Some(_) => {
                tracing::warn!("TLS is on: the demo's web pages are not served");
                None
            }
            None => None,
        };
        Ok(Self {
            listener,
            metrics_listener,
            web_listener,
            store,
            links,
            admin,
            admin_auth: AdminAuth::new(operators),
            status,
            hub,
            stream_buffer: settings.events.stream_buffer,
            transport: settings.transport,
            stop_streams,
            shutdown: settings.shutdown,
            max_request_bytes: settings.max_request_bytes,
            audit,
            tls: settings
                .tls
                .as_ref()
                .map(|tls| tls_config(tls, settings.transport.tls_handshake_timeout)),
            identity: IdentityLayer::new(&settings.callers),
            authorize: AuthorizeLayer::new(
                settings.callers.policy.clone(),
                crate::grpc::caller_not_allowed,
            ),
            throttle: ThrottleLayer::new(
                SourceLimiter::new(settings.throttle),
                settings.source_policy,
                Refusals {
                    throttled: crate::grpc::throttled,
                    end_user_address_required: crate::grpc::end_user_address_required,
                },
            ),
        })
    }

    /// The bound address (useful when listening on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The bound metrics address, if metrics are served.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The bound address of the demo's web pages, if served.
    pub fn web_addr(&self) -> Option<SocketAddr> {
        self.web_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` completes, then: reports NOT_SERVING at once,
    /// ends event streams with UNAVAILABLE, keeps serving for the configured
    /// delay (so load balancers move away), stops accepting calls, and waits
    /// for in-flight calls up to the grace period.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_service_status(LIVENESS, ServingStatus::Serving)
            .await;
        health::set_serving(&health, true).await;
        health::set_database_up(&health, true).await;
        tracing::info!(addr = %self.local_addr(), "serving gRPC");
        let (shutting_down, stopping) = tokio::sync::watch::channel(false);
        health::spawn_readiness_monitor(health.clone(), self.store.clone(), stopping);
        if let Some(listener) = self.metrics_listener.take() {
            tracing::info!(addr = ?listener.local_addr().ok(), "serving metrics");
            let mut stopping = self.stop_streams.subscribe();
            let stop = async move {
                let _ = stopping.changed().await;
            };
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(error) = crate::metrics::serve(listener, store, stop).await {
                    tracing::error!(%error, "metrics endpoint failed");
                }
            });
        }
        if let Some(listener) = self.web_listener.take() {
            self.serve_demo_pages(listener);
        }
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;
        // The listener is bound before serving (so the address is known at
        // build time), and tonic sets TCP_NODELAY only on sockets it binds
        // itself: without it here, small responses wait for the client's
        // delayed ACK (Nagle), ~40 ms, whenever a connection has several
        // calls in flight.
        let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
        let (drained, on_drained) = tokio::sync::oneshot::channel::<()>();
        let stop_streams = self.stop_streams;
        let timing = self.shutdown;
        let limit = self.max_request_bytes;
        let drain = async move {
            shutdown.await;
            tracing::info!(?timing, "shutting down: not serving");
            let _ = shutting_down.send(true);
            health::set_serving(&health, false).await;
            tokio::time::sleep(timing.delay).await;
            // Event streams never end on their own: telling them to (after
            // the delay, so their clients reconnect elsewhere) lets the
            // graceful shutdown below finish.
            let _ = stop_streams.send(true);
            let _ = drained.send(());
        };
        let audit = self.audit.clone();
        let limits = self.transport;
        // Limits per connection, so that no single client holds the server:
        // streams and calls in flight, idle connections found by keepalive,
        // and connections recycled with a grace period so load spreads over
        // new replicas. Small answers go out at once (no Nagle delay).
        let mut server = Server::builder()
            .max_concurrent_streams(limits.max_streams_per_connection)
            .concurrency_limit_per_connection(limits.max_calls_per_connection)
            .http2_keepalive_interval(Some(limits.keepalive_interval))
            .http2_keepalive_timeout(Some(limits.keepalive_timeout))
            .max_connection_age(limits.max_connection_age)
            .max_connection_age_grace(limits.max_connection_age_grace);
        if let Some(tls) = self.tls {
            server = server.tls_config(tls)?;
        }
        // Outermost first. The caller is named before the span and metrics
        // label it; the policy is enforced inside the audit layer, so that
        // refusals are audited and the row names the caller, and before the
        // throttle, so a caller refused outright spends no attempts.
        let serve = server
            .layer(self.identity)
            // A server span and metrics per call.
            .layer(RpcTelemetryLayer)
            // Then an audit row per sign-in, flow step and admin call, which
            // records refused and throttled attempts too.
            .layer(self.audit)
            .layer(self.authorize)
            .layer(self.throttle)
            .layer(OversizeLayer)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                AccountLinkServiceServer::new(AccountLinkApi(self.links))
                    .max_decoding_message_size(limit),
            )
            .add_service(tonic::service::interceptor::InterceptedService::new(
                AccountAdminServiceServer::new(AccountAdminApi(self.admin, audit.flusher()))
                    .max_decoding_message_size(limit),
                self.admin_auth,
            ))
            .add_service(
                LinkStatusServiceServer::new(LinkStatusApi {
                    status: self.status.clone(),
                    hub: self.hub,
                    stream_buffer: self.stream_buffer,
                    slots: StreamSlots::new(
                        self.transport.max_watch_streams,
                        self.transport.max_watch_streams_per_caller,
                    ),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                FilerAuthServiceServer::new(FilerAuthApi(self.status))
                    .max_decoding_message_size(limit),
            )
            .serve_with_incoming_shutdown(incoming, drain);
        let deadline = async move {
            match on_drained.await {
                Ok(()) => tokio::time::sleep(timing.grace).await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            served = serve => served?,
            () = deadline => {
                tracing::warn!("drain deadline passed; dropping the calls still in flight");
            }
        }
        audit.flush().await;
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

impl Application {
    /// The reference front-end for the demo court, dialling this server.
    fn serve_demo_pages(&self, listener: TcpListener) {
        let mut grpc = self.local_addr();
        if grpc.ip().is_unspecified() {
            grpc.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let settings = crate::web::WebSettings {
            upstream: format!("http://{grpc}"),
            court_id: demo::COURT_ID.to_owned(),
            client_address: crate::web::ClientAddress::Peer,
            max_sessions: 10_000,
        };
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(url = %format!("http://{addr}/"), "serving the demo court's web pages");
        }
        let mut stopping = self.stop_streams.subscribe();
        tokio::spawn(async move {
            let stop = async move {
                let _ = stopping.changed().await;
            };
            if let Err(error) = crate::web::serve(listener, settings, stop).await {
                tracing::error!(%error, "web pages failed");
            }
        });
    }
}

/// The rustls configuration of the gRPC port: our certificate, and client
/// certificates verified against the CA when one is configured.
fn tls_config(tls: &crate::config::TlsSettings, handshake: Duration) -> ServerTlsConfig {
    let config = ServerTlsConfig::new()
        .identity(Identity::from_pem(&tls.cert_pem, &tls.key_pem))
        .timeout(handshake);
    match &tls.client_ca_pem {
        Some(ca) => config.client_ca_root(Certificate::from_pem(ca)),
        None => config,
    }
}

/// Reflection over our contract, health, and the `google.rpc` error details,
/// so grpcurl can decode `ErrorInfo` and `BadRequest` instead of printing bytes.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
}

/// Accounts with a second factor cannot sign in without the key that opens
/// it: the process refuses to start rather than answer their proven
/// passwords with INTERNAL. A database not reachable yet (when migrations
/// are left to a job) is not a reason to refuse: that is logged instead.
async fn refuse_unopenable_second_factors(store: &dyn Store) -> anyhow::Result<()> {
    match store.totp_enrollments().await {
        Ok(0) => Ok(()),
        Ok(enrolled) => anyhow::bail!(
            "{enrolled} PACER account(s) have a second factor enrolled, but \
             PACER_LINK_TOTP_KEY is not set: set the key they were enrolled with"
        ),
        Err(StoreError::Unavailable(error)) => {
            tracing::warn!(%error, "could not check for enrolled second factors");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Applies migrations, waiting for the database with capped exponential
/// backoff (about a minute in all) so a pod starting before its database does
/// not crash-loop.
async fn migrate_with_backoff(store: &dyn Store) -> Result<(), StoreError> {
    let mut delay = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    loop {
        match store.migrate().await {
            Err(StoreError::Unavailable(why)) if waited < Duration::from_secs(60) => {
                let retry_in_ms = delay.as_millis() as u64;
                tracing::warn!(error = %why, retry_in_ms, "database not ready");
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}
