//! The service under test and the echo server, on a tokio runtime of their
//! own, over a database created for this run.
use std::{net::SocketAddr, time::Duration};

use clap::Parser;
use pacer_link::config::{Cli, Command, Settings};
use pacer_link::startup::Application;
use pacer_link::store::Backend;
use tokio::{net::TcpListener, runtime::Handle, sync::oneshot, task::JoinHandle};
use tonic::transport::{Server, server::TcpIncoming};
use tonic_health::pb::{
    HealthCheckRequest, HealthCheckResponse,
    health_check_response::ServingStatus,
    health_server::{Health, HealthServer},
};

/// The runtime the servers run on: as many workers as cores, like the
/// service's own `#[tokio::main]`, and none of the client's tasks.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("server")
        .enable_all()
        .build()
}

/// A database for this run, removed by [`BenchDatabase::remove`].
pub struct BenchDatabase {
    /// The URL the service uses.
    pub url: String,
    /// Which backend it is.
    pub backend: Backend,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl BenchDatabase {
    /// A fresh database on the PostgreSQL server `server`, or a SQLite file
    /// in a temporary directory.
    pub async fn create(server: Option<&str>) -> anyhow::Result<Self> {
        let Some(server) = server.filter(|s| !s.is_empty()) else {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            return Ok(Self {
                url,
                backend: Backend::Sqlite,
                postgres: None,
                _dir: Some(dir),
            });
        };
        if Backend::of(server) != Ok(Backend::Postgres) {
            anyhow::bail!("--database-url must be a postgres:// URL");
        }
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        admin_execute(server, &format!("CREATE DATABASE {name}")).await?;
        Ok(Self {
            url: with_database(server, &name),
            backend: Backend::Postgres,
            postgres: Some((server.to_owned(), name)),
            _dir: None,
        })
    }

    /// Drops the PostgreSQL database (the SQLite directory goes with `self`).
    pub async fn remove(self) -> anyhow::Result<()> {
        if let Some((server, name)) = &self.postgres {
            admin_execute(
                server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
        }
        Ok(())
    }
}

async fn admin_execute(server: &str, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    Ok(())
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    format!("{}/{database}{query}", &base[..path])
}

/// The service's settings as `pacer-link serve` would build them (so every
/// default, and any `PACER_LINK_*` variable, applies), on 127.0.0.1:0, with
/// per-source throttling off: every call of the bench comes from one address.
pub fn settings(database_url: &str, db_max_connections: u32) -> anyhow::Result<Settings> {
    let pool = db_max_connections.to_string();
    let cli = Cli::try_parse_from([
        "pacer-link",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        database_url,
        "--db-max-connections",
        &pool,
        "--source-attempts-per-minute",
        "0",
    ])?;
    let Command::Serve(args) = cli.command else {
        unreachable!("the arguments name `serve`");
    };
    args.settings().map_err(anyhow::Error::msg)
}

/// A server running on the server runtime; stopped by [`Running::stop`].
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    done: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Asks the server to stop and waits (a few seconds at most) for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.done).await;
    }
}

/// Builds (migrating the database) and starts the service on `runtime`.
pub async fn start_service(runtime: &Handle, settings: Settings) -> anyhow::Result<Running> {
    let (stop, stopped) = oneshot::channel::<()>();
    let (bound, on_bound) = oneshot::channel();
    let done = runtime.spawn(async move {
        let app = Application::build(settings).await?;
        let _ = bound.send(app.local_addr());
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
    });
    match on_bound.await {
        Ok(addr) => Ok(Running { addr, stop, done }),
        Err(_) => Err(done
            .await?
            .err()
            .unwrap_or_else(|| anyhow::anyhow!("the service stopped before it was bound"))),
    }
}

/// The service as shipped, in its own process; killed on drop.
pub struct Process {
    /// Where it listens.
    pub addr: SocketAddr,
    child: std::process::Child,
}

impl Process {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it with SIGTERM, as Kubernetes would, and waits for it.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..300 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.child.kill();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Starts `binary serve` as a user would (the environment's defaults, logs
/// at info to `log`), over `database_url`, with per-source throttling off
/// as in-process (every call of the bench comes from one address); returns
/// once it answers health checks.
pub async fn start_process(
    binary: &std::path::Path,
    database_url: &str,
    db_max_connections: u32,
    log: &std::path::Path,
    env: &[(&str, &str)],
) -> anyhow::Result<Process> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let child = std::process::Command::new(binary)
        .args([
            "serve",
            "--listen",
            &addr.to_string(),
            "--db-max-connections",
            &db_max_connections.to_string(),
            "--source-attempts-per-minute",
            "0",
        ])
        .env("DATABASE_URL", database_url)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(log)?)
        .stderr(std::fs::File::create(log.with_extension("stderr"))?)
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting {}: {e}", binary.display()))?;
    let mut process = Process { addr, child };
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = process.child.try_wait()? {
            anyhow::bail!(
                "{} exited with {status}; see {}",
                binary.display(),
                log.display()
            );
        }
        if let Ok(channel) = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
            .connect()
            .await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let check = health.check(HealthCheckRequest::default()).await;
            if check.is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32) {
                return Ok(process);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    process.child.kill()?;
    anyhow::bail!("{} did not serve within 60 s", binary.display())
}

/// A Health service that answers SERVING at once: the cheapest unary call
/// tonic can serve, i.e. the transport's floor.
struct Echo;

#[tonic::async_trait]
impl Health for Echo {
    async fn check(
        &self,
        _request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<HealthCheckResponse>, tonic::Status> {
        Ok(tonic::Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    type WatchStream = tokio_stream::Empty<Result<HealthCheckResponse, tonic::Status>>;

    async fn watch(
        &self,
        _request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<Self::WatchStream>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "the echo server only answers Check",
        ))
    }
}

/// Starts the echo server on `runtime`.
pub async fn start_echo(runtime: &Handle) -> anyhow::Result<Running> {
    let listener = runtime.spawn(TcpListener::bind("127.0.0.1:0")).await??;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let done = runtime.spawn(async move {
        // TCP_NODELAY, as the service sets it on its accepted sockets.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        Server::builder()
            .add_service(HealthServer::new(Echo))
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            })
            .await?;
        Ok(())
    });
    Ok(Running { addr, stop, done })
}
