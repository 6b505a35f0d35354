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
