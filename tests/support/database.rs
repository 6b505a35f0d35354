//! A fresh, empty database per test, on either backend.
use pacer_link::store::Backend;

use super::postgres;

/// A database for one test; a SQLite file lives as long as this value.
pub struct TestDatabase {
    /// Its URL.
    pub url: String,
    /// The backend.
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new empty database on `backend`.
    pub async fn fresh(backend: Backend) -> Self {
        match backend {
            Backend::Postgres => Self {
                url: postgres::fresh_database().await,
                backend,
                _dir: None,
            },
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary folder");
                Self {
                    url: format!("sqlite://{}", dir.path().join("pacer-link.db").display()),
                    backend,
                    _dir: Some(dir),
                }
            }
        }
    }

    /// An existing PostgreSQL database.
    pub fn postgres(url: String) -> Self {
        Self {
            url,
            backend: Backend::Postgres,
            _dir: None,
        }
    }

    /// One integer from a query run directly against the database.
    pub async fn scalar(&self, sql: &'static str) -> i64 {
        match self.backend {
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                let value = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                value
            }
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                let value = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                value
            }
        }
    }

    /// Text rows of two columns from a query run directly against the database.
    pub async fn pairs(&self, sql: &'static str) -> Vec<(String, Option<String>)> {
        match self.backend {
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows
            }
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows
            }
        }
    }
}

/// A link event written in a transaction that the test holds open, as a
/// linking transaction on another replica would be while it commits late.
pub struct HeldEvent {
    commit: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

const HOLD_SQL: [&str; 2] = [
    "UPDATE link_event_counter SET last_sequence = last_sequence + 1",
    "INSERT INTO link_events (sequence, event_id, event_type, court_id, ecf_login, pacer_username, occurred_at) \
     SELECT last_sequence, $1, 'linked', 'cod', 'coheld', 'held', $2 FROM link_event_counter",
];

impl HeldEvent {
    /// Begins the transaction and writes the event; returns once it is written.
    pub async fn begin(db: &TestDatabase) -> Self {
        let (commit, committed) = tokio::sync::oneshot::channel::<()>();
        let (written, is_written) = tokio::sync::oneshot::channel::<()>();
        let url = db.url.clone();
        let done = match db.backend {
            Backend::Postgres => tokio::spawn(async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                let mut tx = conn.begin().await.unwrap();
                sqlx::query(HOLD_SQL[0]).execute(&mut *tx).await.unwrap();
                sqlx::query(HOLD_SQL[1])
                    .bind(uuid::Uuid::new_v4())
                    .bind(chrono::Utc::now())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                written.send(()).unwrap();
                let _ = committed.await;
                tx.commit().await.unwrap();
            }),
            Backend::Sqlite => tokio::spawn(async move {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
                sqlx::query(HOLD_SQL[0]).execute(&mut *tx).await.unwrap();
                sqlx::query(HOLD_SQL[1])
                    .bind(uuid::Uuid::new_v4())
                    .bind(chrono::Utc::now().timestamp_micros())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                written.send(()).unwrap();
                let _ = committed.await;
                tx.commit().await.unwrap();
            }),
        };
        is_written.await.unwrap();
        Self { commit, done }
    }

    /// Commits and waits for the commit to finish.
    pub async fn commit(self) {
        self.commit.send(()).unwrap();
        self.done.await.unwrap();
    }
}
