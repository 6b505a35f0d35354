//! A PostgreSQL server for tests: the one named by `TEST_DATABASE_URL`, or a
//! private throwaway cluster started on first use and removed when the test
//! process exits. Each test gets a fresh database on it.
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

static SERVER: OnceLock<String> = OnceLock::new();

/// A URL of a new, empty database.
pub async fn fresh_database() -> String {
    let server = SERVER.get_or_init(|| match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_private_cluster(),
    });
    create_database(server).await
}

/// Test databases are named `pacer_link_test_<machine>_<pid>_<random>`, so
/// that leftovers can be told from those of tests still running.
const PREFIX: &str = "pacer_link_test_";

async fn create_database(server: &str) -> String {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let random = uuid::Uuid::new_v4().simple().to_string();
    let name = format!(
        "{PREFIX}{}_{}_{}",
        machine(),
        std::process::id(),
        &random[..16]
    );
    let mut admin = connect_with_retry(server).await;
    SWEPT.get_or_init(|| sweep(&mut admin)).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    with_database(server, &name)
}

/// A test's database outlives it (a failed test's is there to look at), so
/// on a shared server they pile up. Each test process first drops those that
/// processes of this machine left behind and that no one is connected to;
/// any other is left alone.
async fn sweep(admin: &mut sqlx::PgConnection) {
    let ours = format!("{PREFIX}{}_", machine());
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(&ours)
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name[ours.len()..].split('_').next().unwrap_or_default();
        let running = pid.parse::<u32>().is_ok_and(|pid| {
            pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
        });
        if !running && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            // Refused while anyone is connected, which is what keeps a
            // database in use.
            let drop = format!("DROP DATABASE IF EXISTS {name}");
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut *admin)
                .await;
        }
    }
}

/// A short id of this machine, so that a server shared by several machines
/// sweeps only what this one left.
fn machine() -> String {
    let id = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
    let id: String = id.chars().filter(char::is_ascii_hexdigit).take(8).collect();
    if id.is_empty() { "local".into() } else { id }
}

async fn connect_with_retry(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match sqlx::PgConnection::connect(url).await {
            Ok(conn) => return conn,
            Err(e) if Instant::now() > deadline => panic!("test database server unreachable: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{database}{query}", &base[..authority_end])
}

fn start_private_cluster() -> String {
    let cluster = PrivateCluster::start();
    let url = cluster.url.clone();
    // The shared cluster lives as long as the test process; its watchdog removes it.
    std::mem::forget(cluster);
    url
}

/// A throwaway PostgreSQL cluster of this test process's own, which a test may
/// stop and start (to see the service ride out a database restart).
pub struct PrivateCluster {
    /// A URL of its `postgres` database.
    pub url: String,
    bin: PathBuf,
    root: PathBuf,
    as_root: bool,
    options: String,
}

impl PrivateCluster {
    /// initdb and start a cluster in a fresh folder, on a free port; a
    /// watchdog removes it when this process exits.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// As [`Self::start`], serving TLS with the server certificate and key
    /// (PEM files) `tls` names, as a production database does.
    pub fn start_with_tls(cert: &Path, key: &Path) -> Self {
        Self::start_with(Some((cert, key)))
    }

    fn start_with(tls: Option<(&Path, &Path)>) -> Self {
        let bin = postgres_bin_dir();
        let root = std::env::temp_dir().join(format!(
            "pacer-link-test-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&root).expect("create cluster folder");
        let as_root = is_root();
        if as_root {
            // initdb and postgres refuse to run as root: hand the folder to the
            // postgres user and run them as that user.
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&root));
        }
        let port = free_port();
        run(pg_command(as_root, &bin.join("initdb"), &root)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(root.join("data")));
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
            root.display()
        );
        if let Some((cert, key)) = tls {
            // The server reads its key only if no one else may.
            let (server_cert, server_key) = (root.join("server.pem"), root.join("server.key"));
            std::fs::copy(cert, &server_cert).expect("copy server certificate");
            std::fs::copy(key, &server_key).expect("copy server key");
            if as_root {
                run(Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&server_cert)
                    .arg(&server_key));
            }
            run(Command::new("chmod").arg("600").arg(&server_key));
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                server_cert.display(),
                server_key.display()
            ));
        }
        let cluster = Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            root,
            as_root,
            options,
        };
        remove_when_this_process_exits(cluster.as_root, &cluster.bin, &cluster.root);
        cluster.start_server();
        cluster
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn start_server(&self) {
        run(
            pg_command(self.as_root, &self.bin.join("pg_ctl"), &self.root)
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(self.root.join("data"))
                .arg("-l")
                .arg(self.root.join("postgres.log"))
                .args(["-o", &self.options]),
        );
    }

    /// Stops the server the way an operator's restart does (fast: open
    /// sessions are terminated).
    pub fn stop_server(&self) {
        run(
            pg_command(self.as_root, &self.bin.join("pg_ctl"), &self.root)
                .args(["stop", "-m", "fast", "-w", "-D"])
                .arg(self.root.join("data")),
        );
    }

    /// A new empty database on this cluster.
    pub async fn fresh_database(&self) -> String {
        create_database(&self.url).await
    }
}

/// A watchdog outside this process stops the cluster and deletes its folder
/// once the test process is gone, however it ends.
fn remove_when_this_process_exits(as_root: bool, bin: &Path, root: &Path) {
    let stop = format!(
        "{} stop -m immediate -D {}/data",
        bin.join("pg_ctl").display(),
        root.display()
    );
    let stop = if as_root {
        format!("runuser -u postgres -- {stop}")
    } else {
        stop
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {root}",
        pid = std::process::id(),
        root = root.display()
    );
    // Deliberately never waited for: the watchdog must outlive this process.
    #[allow(clippy::zombie_processes)]
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cluster watchdog");
}

fn pg_command(as_root: bool, program: &Path, cwd: &Path) -> Command {
    let mut command = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.current_dir(cwd).stdin(Stdio::null());
    command
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// Where initdb, pg_ctl and postgres live: beside an `initdb` on PATH, or in
/// Debian's versioned folder (which is not on PATH).
fn postgres_bin_dir() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("initdb"))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok());
    let debian = || {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|d| d.join("initdb").is_file())
            .collect();
        dirs.sort_by_key(|d| {
            d.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        });
        dirs.pop()
    };
    on_path
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| d.join("pg_ctl").is_file())
        .or_else(debian)
        .expect("no initdb found: install the postgresql package or set TEST_DATABASE_URL")
}
