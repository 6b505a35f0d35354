//! The production database URL: `sslmode=verify-full` against a PostgreSQL
//! that serves TLS with a certificate from the court's own CA.
use std::sync::Arc;

use crate::support;
use crate::tls::issue_for;

use pacer_link::startup::Application;
use sqlx::Connection;
use support::{app::spawn_app_on, database::TestDatabase, postgres::PrivateCluster};

/// A cluster serving a certificate for 127.0.0.1 signed by `ca`, and a fresh
/// database on it.
async fn tls_cluster(dir: &std::path::Path) -> (PrivateCluster, String) {
    issue_for(dir, "ca", "db", "serverAuth", "IP:127.0.0.1");
    issue_for(dir, "rogue-ca", "unused", "serverAuth", "IP:127.0.0.1");
    let cluster = PrivateCluster::start_with_tls(&dir.join("db.pem"), &dir.join("db.key"));
    let database = cluster.fresh_database().await;
    (cluster, database)
}

fn verify_full(database: &str, root: &std::path::Path) -> String {
    format!(
        "{database}?sslmode=verify-full&sslrootcert={}",
        root.display()
    )
}

#[tokio::test]
async fn the_service_runs_over_a_verified_tls_connection() {
    let _heavy = support::heavy_test().await;
    let dir = tempfile::tempdir().unwrap();
    let (_cluster, database) = tls_cluster(dir.path()).await;
    let url = verify_full(&database, &dir.path().join("ca.pem"));

    let app = spawn_app_on(Arc::new(TestDatabase::postgres(url.clone())), |_| {}).await;
    let signed_in = app
        .authenticate(support::demo::PACER_USERNAME, support::demo::PACER_PASSWORD)
        .await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();

    assert!(signed_in.is_ok(), "{signed_in:?}");
    assert!(encrypted, "the connection is not encrypted");
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused_at_start() {
    let _heavy = support::heavy_test().await;
    let dir = tempfile::tempdir().unwrap();
    let (_cluster, database) = tls_cluster(dir.path()).await;
    let url = verify_full(&database, &dir.path().join("rogue-ca.pem"));

    let built = Application::build(support::app::test_settings(url)).await;

    let error = built.err().expect("an untrusted database must not be used");
    assert!(
        format!("{error:#}").to_lowercase().contains("certificate"),
        "{error:#}"
    );
}
