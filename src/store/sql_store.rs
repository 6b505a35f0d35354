//! The SQL both backends share. PostgreSQL and SQLite accept the same
//! statements here (`$N` placeholders, `RETURNING`), so one `Store`
//! implementation is written once and expanded per backend; each backend
//! module supplies what genuinely differs:
//!
//! - `time_param(DateTime<Utc>)` / `time_column(&Row, &str)`: how a timestamp is stored;
//! - `store_error(sqlx::Error) -> StoreError`: how constraint violations are named;
//! - `Self::write_guard()`: how writers are serialised (SQLite has one writer);
//! - `Self::pool()`, `Self::migrate_now()`.

/// Expands `impl Store for $store` over a pool of `$db` whose rows are `$row`.
macro_rules! sql_store {
    ($store:ty, $row:ty) => {
        fn parse_column<T>(
            row: &$row,
            column: &str,
            parse: fn(&str) -> Result<T, String>,
        ) -> Result<T, $crate::store::StoreError> {
            let raw: String = sqlx::Row::try_get(row, column).map_err(store_error)?;
            parse(&raw).map_err(|why| {
                $crate::store::StoreError::Internal(format!("stored {column} does not parse: {why}"))
            })
        }

        fn column<T>(row: &$row, column: &str) -> Result<T, $crate::store::StoreError>
        where
            T: for<'r> sqlx::Decode<'r, <$row as sqlx::Row>::Database>
                + sqlx::Type<<$row as sqlx::Row>::Database>,
        {
            sqlx::Row::try_get(row, column).map_err(store_error)
        }

        fn decode_court(row: &$row) -> Result<$crate::store::CourtRecord, $crate::store::StoreError> {
            use $crate::domain::{CourtId, CourtName, EcfLoginPrefix};
            Ok($crate::store::CourtRecord {
                id: parse_column(row, "court_id", CourtId::parse)?,
                name: parse_column(row, "name", CourtName::parse)?,
                ecf_login_prefix: parse_column(row, "ecf_login_prefix", EcfLoginPrefix::parse)?,
            })
        }

        fn decode_pacer_account(row: &$row) -> Result<$crate::store::PacerAccountRecord, $crate::store::StoreError> {
            use $crate::domain::{DisplayName, PacerUsername};
            Ok($crate::store::PacerAccountRecord {
                username: parse_column(row, "username", PacerUsername::parse)?,
                password_hash: column(row, "password_hash")?,
                display_name: parse_column(row, "display_name", DisplayName::parse)?,
                upgraded: column(row, "upgraded")?,
            })
        }

        fn decode_ecf_account(row: &$row) -> Result<$crate::store::EcfAccountRecord, $crate::store::StoreError> {
            use $crate::domain::{CourtId, DisplayName, EcfLogin};
            Ok($crate::store::EcfAccountRecord {
                court_id: parse_column(row, "court_id", CourtId::parse)?,
                login: parse_column(row, "login", EcfLogin::parse)?,
                password_hash: column(row, "password_hash")?,
                display_name: parse_column(row, "display_name", DisplayName::parse)?,
            })
        }

        fn decode_link(row: &$row) -> Result<$crate::store::LinkRecord, $crate::store::StoreError> {
            use $crate::domain::{CourtId, EcfLogin, PacerUsername};
            Ok($crate::store::LinkRecord {
                court_id: parse_column(row, "court_id", CourtId::parse)?,
                ecf_login: parse_column(row, "ecf_login", EcfLogin::parse)?,
                pacer_username: parse_column(row, "pacer_username", PacerUsername::parse)?,
                linked_at: time_column(row, "linked_at")?,
            })
        }

        fn decode_flow(row: &$row) -> Result<$crate::store::FlowRecord, $crate::store::StoreError> {
            use $crate::domain::{CourtId, EcfLogin, PacerUsername};
            use $crate::store::FlowStage;
            let stage: String = column(row, "stage")?;
            let stage = match stage.as_str() {
                "pacer_authenticated" => FlowStage::PacerAuthenticated,
                "ecf_verified" => FlowStage::EcfVerified(parse_column(row, "ecf_login", EcfLogin::parse)?),
                "confirmed" => FlowStage::Confirmed,
                other => {
                    return Err($crate::store::StoreError::Internal(format!("unexpected flow stage {other:?}")));
                }
            };
            Ok($crate::store::FlowRecord {
                id: column(row, "flow_id")?,
                court_id: parse_column(row, "court_id", CourtId::parse)?,
                pacer_username: parse_column(row, "pacer_username", PacerUsername::parse)?,
                stage,
                expires_at: time_column(row, "expires_at")?,
            })
        }

        fn decode_event(row: &$row) -> Result<$crate::store::LinkEventRecord, $crate::store::StoreError> {
            use $crate::domain::{CourtId, EcfLogin, PacerUsername};
            Ok($crate::store::LinkEventRecord {
                sequence: column(row, "sequence")?,
                event_id: column(row, "event_id")?,
                kind: parse_column(row, "event_type", $crate::store::LinkEventKind::parse)?,
                court_id: parse_column(row, "court_id", CourtId::parse)?,
                ecf_login: parse_column(row, "ecf_login", EcfLogin::parse)?,
                pacer_username: parse_column(row, "pacer_username", PacerUsername::parse)?,
                occurred_at: time_column(row, "occurred_at")?,
            })
        }

        /// Appends an outbox event and returns its sequence. The counter row
        /// stays locked until commit, so sequences are handed out in commit
        /// order without gaps; callers take it last to keep that lock short.
        async fn append_event(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            kind: $crate::store::LinkEventKind,
            link: &$crate::store::LinkRecord,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<i64, $crate::store::StoreError> {
            let sequence: i64 = sqlx::query_scalar(
                "UPDATE link_event_counter SET last_sequence = last_sequence + 1 RETURNING last_sequence",
            )
            .fetch_one(&mut **tx)
            .await
            .map_err(store_error)?;
            sqlx::query(
                "INSERT INTO link_events (sequence, event_id, event_type, court_id, ecf_login, pacer_username, occurred_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(sequence)
            .bind(uuid::Uuid::new_v4())
            .bind(kind.as_str())
            .bind(link.court_id.as_str())
            .bind(link.ecf_login.as_str())
            .bind(link.pacer_username.as_str())
            .bind(time_param(now))
            .execute(&mut **tx)
            .await
            .map_err(store_error)?;
            announce_event(tx, sequence).await?;
            Ok(sequence)
        }

        fn decode_failures(row: &$row) -> Result<$crate::store::lockout::FailureRow, $crate::store::StoreError> {
            Ok($crate::store::lockout::FailureRow {
                consecutive: column(row, "consecutive")?,
                last_failure_at: time_column(row, "last_failure_at")?,
                locked_until: time_column_opt(row, "locked_until")?,
                lockouts: column(row, "lockouts")?,
                hour_start: time_column(row, "hour_start")?,
                hour_count: column(row, "hour_count")?,
            })
        }

        /// A subject's failure state and its version, if it has a row.
        async fn failure_row<'e, E>(executor: E, subject: &$crate::store::SignInSubject) -> Result<Option<($crate::store::lockout::FailureRow, i64)>, $crate::store::StoreError>
        where
            E: sqlx::Executor<'e, Database = <$row as sqlx::Row>::Database>,
        {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {FAILURE_COLUMNS}, version FROM sign_in_failures WHERE subject_kind = $1 AND subject = $2"
            )))
            .bind(subject.kind)
            .bind(&subject.subject)
            .fetch_optional(executor)
            .await
            .map_err(store_error)?;
            row.map(|row| Ok((decode_failures(&row)?, column(&row, "version")?))).transpose()
        }

        /// Stores `next` if the row is still at `version`; false if it moved on.
        async fn write_failure<'e, E>(executor: E, subject: &$crate::store::SignInSubject, next: &$crate::store::lockout::FailureRow, version: i64) -> Result<bool, $crate::store::StoreError>
        where
            E: sqlx::Executor<'e, Database = <$row as sqlx::Row>::Database>,
        {
            let moved = sqlx::query(
                "UPDATE sign_in_failures SET consecutive = $3, last_failure_at = $4, locked_until = $5, \
                 lockouts = $6, hour_start = $7, hour_count = $8, version = version + 1 \
                 WHERE subject_kind = $1 AND subject = $2 AND version = $9",
            )
            .bind(subject.kind)
            .bind(&subject.subject)
            .bind(next.consecutive)
            .bind(time_param(next.last_failure_at))
            .bind(next.locked_until.map(time_param))
            .bind(next.lockouts)
            .bind(time_param(next.hour_start))
            .bind(next.hour_count)
            .bind(version)
            .execute(executor)
            .await
            .map_err(store_error)?
            .rows_affected();
            Ok(moved == 1)
        }

        /// Compare-and-set tries before a failure is counted under a row lock.
        const FAILURE_CAS_ATTEMPTS: usize = 3;

        const FAILURE_COLUMNS: &str = "consecutive, last_failure_at, locked_until, lockouts, hour_start, hour_count";

        const LINK_COLUMNS: &str = "court_id, ecf_login, pacer_username, linked_at";

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn migrate(&self) -> Result<(), $crate::store::StoreError> {
                self.migrate_now().await
            }

            async fn close(&self) {
                self.pool().close().await;
            }

            fn pool_state(&self) -> (u32, usize) {
                let idle = self.pool().num_idle();
                (self.pool().size().saturating_sub(idle as u32), idle)
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "ping"))]
            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                sqlx::query("SELECT 1").execute(self.pool()).await.map_err(store_error)?;
                Ok(())
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "create_court"))]
            async fn create_court(&self, court: &$crate::store::NewCourt) -> Result<(), $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                sqlx::query("INSERT INTO courts (court_id, name, ecf_login_prefix, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(court.id.as_str())
                    .bind(court.name.as_str())
                    .bind(court.ecf_login_prefix.as_str())
                    .bind(time_param(chrono::Utc::now()))
                    .execute(self.pool())
                    .await
                    .map_err(store_error)?;
                Ok(())
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "court"))]
            async fn court(&self, id: &$crate::domain::CourtId) -> Result<Option<$crate::store::CourtRecord>, $crate::store::StoreError> {
                sqlx::query("SELECT court_id, name, ecf_login_prefix FROM courts WHERE court_id = $1")
                    .bind(id.as_str())
                    .fetch_optional(self.pool())
                    .await
                    .map_err(store_error)?
                    .map(|row| decode_court(&row))
                    .transpose()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "create_pacer_account"))]
            async fn create_pacer_account(&self, account: &$crate::store::NewPacerAccount) -> Result<(), $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                sqlx::query(
                    "INSERT INTO pacer_accounts (username, password_hash, display_name, upgraded, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(account.username.as_str())
                .bind(&account.password_hash)
                .bind(account.display_name.as_str())
                .bind(account.upgraded)
                .bind(time_param(chrono::Utc::now()))
                .execute(self.pool())
                .await
                .map_err(store_error)?;
                Ok(())
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "pacer_account"))]
            async fn pacer_account(&self, username: &$crate::domain::PacerUsername) -> Result<Option<$crate::store::PacerAccountRecord>, $crate::store::StoreError> {
                sqlx::query("SELECT username, password_hash, display_name, upgraded FROM pacer_accounts WHERE username = $1")
                    .bind(username.as_str())
                    .fetch_optional(self.pool())
                    .await
                    .map_err(store_error)?
                    .map(|row| decode_pacer_account(&row))
                    .transpose()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "pacer_sign_in"))]
            async fn pacer_sign_in(&self, court: &$crate::domain::CourtId, username: &$crate::domain::PacerUsername) -> Result<Option<$crate::store::PacerSignIn>, $crate::store::StoreError> {
                // The two tables share no column name, so the row decodes as both.
                let row = sqlx::query(
                    "SELECT a.username, a.password_hash, a.display_name, a.upgraded, a.totp_secret, a.totp_last_step, \
                     l.court_id, l.ecf_login, l.pacer_username, l.linked_at \
                     FROM pacer_accounts a LEFT JOIN links l ON l.court_id = $1 AND l.pacer_username = a.username \
                     WHERE a.username = $2",
                )
                .bind(court.as_str())
                .bind(username.as_str())
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?;
                let Some(row) = row else { return Ok(None) };
                let totp = match column::<Option<Vec<u8>>>(&row, "totp_secret")? {
                    Some(sealed_secret) => Some($crate::store::TotpEnrollment {
                        sealed_secret,
                        last_step: column(&row, "totp_last_step")?,
                    }),
                    None => None,
                };
                let linked = column::<Option<String>>(&row, "court_id")?.is_some();
                Ok(Some($crate::store::PacerSignIn {
                    account: decode_pacer_account(&row)?,
                    totp,
                    link: if linked { Some(decode_link(&row)?) } else { None },
                }))
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "create_ecf_account"))]
            async fn create_ecf_account(&self, account: &$crate::store::NewEcfAccount) -> Result<(), $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                sqlx::query(
                    "INSERT INTO ecf_accounts (court_id, login, password_hash, display_name, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(account.court_id.as_str())
                .bind(account.login.as_str())
                .bind(&account.password_hash)
                .bind(account.display_name.as_str())
                .bind(time_param(chrono::Utc::now()))
                .execute(self.pool())
                .await
                .map_err(store_error)?;
                Ok(())
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "ecf_account"))]
            async fn ecf_account(&self, court: &$crate::domain::CourtId, login: &$crate::domain::EcfLogin) -> Result<Option<$crate::store::EcfAccountRecord>, $crate::store::StoreError> {
                sqlx::query(
                    "SELECT court_id, login, password_hash, display_name FROM ecf_accounts WHERE court_id = $1 AND login = $2",
                )
                .bind(court.as_str())
                .bind(login.as_str())
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?
                .map(|row| decode_ecf_account(&row))
                .transpose()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "link_of_pacer"))]
            async fn link_of_pacer(&self, court: &$crate::domain::CourtId, pacer: &$crate::domain::PacerUsername) -> Result<Option<$crate::store::LinkRecord>, $crate::store::StoreError> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {LINK_COLUMNS} FROM links WHERE court_id = $1 AND pacer_username = $2"
                )))
                .bind(court.as_str())
                .bind(pacer.as_str())
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?
                .map(|row| decode_link(&row))
                .transpose()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "link_of_ecf"))]
            async fn link_of_ecf(&self, court: &$crate::domain::CourtId, login: &$crate::domain::EcfLogin) -> Result<Option<$crate::store::LinkRecord>, $crate::store::StoreError> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {LINK_COLUMNS} FROM links WHERE court_id = $1 AND ecf_login = $2"
                )))
                .bind(court.as_str())
                .bind(login.as_str())
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?
                .map(|row| decode_link(&row))
                .transpose()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "link_of_flow"))]
            async fn link_of_flow(&self, flow_id: uuid::Uuid) -> Result<Option<$crate::store::LinkRecord>, $crate::store::StoreError> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {LINK_COLUMNS} FROM links WHERE flow_id = $1")))
                    .bind(flow_id)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(store_error)?
                    .map(|row| decode_link(&row))
                    .transpose()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "create_flow"))]
            async fn create_flow(&self, flow: &$crate::store::NewFlow) -> Result<(), $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                sqlx::query(
                    "INSERT INTO link_flows (flow_id, token_hash, court_id, pacer_username, client_code, \
                     stage, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'pacer_authenticated', $6, $7)",
                )
                .bind(flow.id)
                .bind(flow.token_hash.0.as_slice())
                .bind(flow.court_id.as_str())
                .bind(flow.pacer_username.as_str())
                .bind(flow.client_code.as_deref())
                .bind(time_param(flow.created_at))
                .bind(time_param(flow.expires_at))
                .execute(self.pool())
                .await
                .map_err(store_error)?;
                Ok(())
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "live_flow"))]
            async fn live_flow(&self, token: &$crate::domain::FlowTokenHash, now: chrono::DateTime<chrono::Utc>) -> Result<Option<$crate::store::FlowRecord>, $crate::store::StoreError> {
                sqlx::query(
                    "SELECT flow_id, court_id, pacer_username, stage, ecf_login, expires_at FROM link_flows \
                     WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token.0.as_slice())
                .bind(time_param(now))
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?
                .map(|row| decode_flow(&row))
                .transpose()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "record_ecf_verified"))]
            async fn record_ecf_verified(&self, flow_id: uuid::Uuid, login: &$crate::domain::EcfLogin, now: chrono::DateTime<chrono::Utc>) -> Result<bool, $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                let updated = sqlx::query(
                    "UPDATE link_flows SET stage = 'ecf_verified', ecf_login = $2, ecf_verified_at = $3 WHERE flow_id = $1 \
                     AND stage IN ('pacer_authenticated', 'ecf_verified') AND expires_at > $3",
                )
                .bind(flow_id)
                .bind(login.as_str())
                .bind(time_param(now))
                .execute(self.pool())
                .await
                .map_err(store_error)?
                .rows_affected();
                Ok(updated == 1)
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "unlink"))]
            async fn unlink(&self, court: &$crate::domain::CourtId, login: &$crate::domain::EcfLogin, reason: &str, now: chrono::DateTime<chrono::Utc>) -> Result<$crate::store::UnlinkOutcome, $crate::store::StoreError> {
                use $crate::store::{LinkEventKind, UnlinkOutcome};
                let _writer = self.write_guard().await;
                let mut tx = self.pool().begin().await.map_err(store_error)?;
                let removed = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM links WHERE court_id = $1 AND ecf_login = $2 RETURNING {LINK_COLUMNS}"
                )))
                .bind(court.as_str())
                .bind(login.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
                let Some(removed) = removed else {
                    return Ok(UnlinkOutcome::NotLinked);
                };
                let link = decode_link(&removed)?;
                // Linking retired the password already; this keeps it so even
                // if a reset slipped in, so the old credentials stay dead.
                sqlx::query(
                    "UPDATE ecf_accounts SET password_hash = NULL, retired_at = $3 WHERE court_id = $1 AND login = $2",
                )
                .bind(court.as_str())
                .bind(login.as_str())
                .bind(time_param(now))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                let sequence = append_event(&mut tx, LinkEventKind::Unlinked, &link, now).await?;
                sqlx::query(
                    "INSERT INTO unlinks (unlink_id, court_id, ecf_login, pacer_username, linked_at, reason, unlinked_at, event_sequence) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(uuid::Uuid::new_v4())
                .bind(link.court_id.as_str())
                .bind(link.ecf_login.as_str())
                .bind(link.pacer_username.as_str())
                .bind(time_param(link.linked_at))
                .bind(reason)
                .bind(time_param(now))
                .bind(sequence)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                tx.commit().await.map_err(store_error)?;
                self.after_event_commit();
                Ok(UnlinkOutcome::Unlinked { link, sequence })
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "reset_ecf_password"))]
            async fn reset_ecf_password(&self, court: &$crate::domain::CourtId, login: &$crate::domain::EcfLogin, password_hash: &str, now: chrono::DateTime<chrono::Utc>) -> Result<$crate::store::ResetOutcome, $crate::store::StoreError> {
                use $crate::store::ResetOutcome;
                let _writer = self.write_guard().await;
                let mut tx = self.pool().begin().await.map_err(store_error)?;
                // Taking the account's row lock first serialises this with a
                // ConfirmLink of the same account (which updates that row), so
                // the link check below cannot miss a link committed meanwhile.
                let found = sqlx::query("UPDATE ecf_accounts SET login = login WHERE court_id = $1 AND login = $2")
                    .bind(court.as_str())
                    .bind(login.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?
                    .rows_affected();
                if found == 0 {
                    return Ok(ResetOutcome::NotFound);
                }
                let links: i64 = sqlx::query_scalar("SELECT count(*) FROM links WHERE court_id = $1 AND ecf_login = $2")
                    .bind(court.as_str())
                    .bind(login.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(store_error)?;
                if links > 0 {
                    return Ok(ResetOutcome::Linked);
                }
                sqlx::query(
                    "UPDATE ecf_accounts SET password_hash = $3, retired_at = NULL, password_set_at = $4 \
                     WHERE court_id = $1 AND login = $2",
                )
                .bind(court.as_str())
                .bind(login.as_str())
                .bind(password_hash)
                .bind(time_param(now))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                tx.commit().await.map_err(store_error)?;
                Ok(ResetOutcome::Reset)
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "events_after"))]
            async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<$crate::store::LinkEventRecord>, $crate::store::StoreError> {
                sqlx::query(
                    "SELECT sequence, event_id, event_type, court_id, ecf_login, pacer_username, occurred_at \
                     FROM link_events WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(self.pool())
                .await
                .map_err(store_error)?
                .iter()
                .map(decode_event)
                .collect()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "last_event_sequence"))]
            async fn last_event_sequence(&self) -> Result<i64, $crate::store::StoreError> {
                sqlx::query_scalar("SELECT COALESCE(MAX(sequence), 0) FROM link_events")
                    .fetch_one(self.pool())
                    .await
                    .map_err(store_error)
            }

            async fn listen_for_events(&self, wake: &tokio::sync::Notify) -> Result<(), $crate::store::StoreError> {
                self.listen_now(wake).await
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "is_locked"))]
            async fn is_locked(&self, subject: &$crate::store::SignInSubject, now: chrono::DateTime<chrono::Utc>, policy: &$crate::store::LockoutPolicy) -> Result<bool, $crate::store::StoreError> {
                Ok(failure_row(self.pool(), subject)
                    .await?
                    .is_some_and(|(row, _)| $crate::store::lockout::locked(&row, now, policy)))
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "record_failure"))]
            async fn record_failure(&self, subject: &$crate::store::SignInSubject, now: chrono::DateTime<chrono::Utc>, policy: &$crate::store::LockoutPolicy) -> Result<$crate::store::FailureOutcome, $crate::store::StoreError> {
                use $crate::store::{FailureOutcome, lockout::after_failure};
                let _writer = self.write_guard().await;
                // Fast path: read the row, work out the next state, and write
                // it only if nobody wrote in between (the version): two
                // statements and one commit, where a locking transaction
                // takes four round trips.
                for _ in 0..FAILURE_CAS_ATTEMPTS {
                    let Some((row, version)) = failure_row(self.pool(), subject).await? else {
                        // A subject's first failure: create its row (or lose
                        // to a concurrent first failure) and count on top.
                        sqlx::query(
                            "INSERT INTO sign_in_failures (subject_kind, subject, consecutive, last_failure_at, locked_until, \
                             lockouts, hour_start, hour_count) VALUES ($1, $2, 0, $3, NULL, 0, $3, 0) \
                             ON CONFLICT (subject_kind, subject) DO NOTHING",
                        )
                        .bind(subject.kind)
                        .bind(&subject.subject)
                        .bind(time_param(now))
                        .execute(self.pool())
                        .await
                        .map_err(store_error)?;
                        continue;
                    };
                    let (next, outcome) = after_failure(&row, now, policy);
                    if outcome == FailureOutcome::AlreadyLocked
                        || write_failure(self.pool(), subject, &next, version).await?
                    {
                        return Ok(outcome);
                    }
                }
                // Contended (a burst of guesses at one account): the upsert
                // locks the row, so the others queue here and none is lost.
                let mut tx = self.pool().begin().await.map_err(store_error)?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO sign_in_failures (subject_kind, subject, consecutive, last_failure_at, locked_until, \
                     lockouts, hour_start, hour_count) VALUES ($1, $2, 0, $3, NULL, 0, $3, 0) \
                     ON CONFLICT (subject_kind, subject) DO UPDATE SET consecutive = sign_in_failures.consecutive \
                     RETURNING {FAILURE_COLUMNS}, version"
                )))
                .bind(subject.kind)
                .bind(&subject.subject)
                .bind(time_param(now))
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
                let (next, outcome) = after_failure(&decode_failures(&row)?, now, policy);
                if outcome != FailureOutcome::AlreadyLocked
                    && !write_failure(&mut *tx, subject, &next, column(&row, "version")?).await?
                {
                    return Err($crate::store::StoreError::Internal("a locked failure row changed".into()));
                }
                tx.commit().await.map_err(store_error)?;
                Ok(outcome)
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "clear_failures"))]
            async fn clear_failures(&self, subject: &$crate::store::SignInSubject) -> Result<(), $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                sqlx::query(
                    "UPDATE sign_in_failures SET consecutive = 0, lockouts = 0, locked_until = NULL, \
                     hour_count = CASE WHEN hour_count > 0 THEN hour_count - 1 ELSE 0 END, version = version + 1 \
                     WHERE subject_kind = $1 AND subject = $2",
                )
                .bind(subject.kind)
                .bind(&subject.subject)
                .execute(self.pool())
                .await
                .map_err(store_error)?;
                Ok(())
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "confirm_link"))]
            async fn confirm_link(&self, flow: &$crate::store::FlowRecord, ecf_login: &$crate::domain::EcfLogin, now: chrono::DateTime<chrono::Utc>) -> Result<$crate::store::ConfirmOutcome, $crate::store::StoreError> {
                use $crate::store::{ConfirmOutcome, Conflict, StoreError};
                let _writer = self.write_guard().await;
                let mut tx = self.pool().begin().await.map_err(store_error)?;
                // Moving the flow first takes its row lock, which serialises
                // concurrent confirms of one flow: the losers wait, then find
                // it confirmed and match nothing.
                let moved = sqlx::query(
                    "UPDATE link_flows SET stage = 'confirmed', confirmed_at = $3 WHERE flow_id = $1 \
                     AND stage = 'ecf_verified' AND ecf_login = $2 AND expires_at > $3",
                )
                .bind(flow.id)
                .bind(ecf_login.as_str())
                .bind(time_param(now))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?
                .rows_affected();
                if moved == 0 {
                    return Ok(ConfirmOutcome::FlowChanged);
                }
                let existing: Vec<String> = sqlx::query_scalar(
                    "SELECT pacer_username FROM links WHERE court_id = $1 AND (ecf_login = $2 OR pacer_username = $3)",
                )
                .bind(flow.court_id.as_str())
                .bind(ecf_login.as_str())
                .bind(flow.pacer_username.as_str())
                .fetch_all(&mut *tx)
                .await
                .map_err(store_error)?;
                if existing.iter().any(|p| p == flow.pacer_username.as_str()) {
                    return Err(StoreError::Conflict(Conflict::PacerAccountLinked));
                }
                if !existing.is_empty() {
                    return Err(StoreError::Conflict(Conflict::EcfAccountLinked));
                }
                // A flow racing this one past the check above is stopped by
                // the unique constraints, which map to the same conflicts.
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO links (court_id, ecf_login, pacer_username, linked_at, flow_id) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING {LINK_COLUMNS}"
                )))
                .bind(flow.court_id.as_str())
                .bind(ecf_login.as_str())
                .bind(flow.pacer_username.as_str())
                .bind(time_param(now))
                .bind(flow.id)
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
                let link = decode_link(&row)?;
                // Retire the password only if it is still the one this flow
                // proved: a reset or an unlink since VerifyEcf voids the proof.
                let retired = sqlx::query(
                    "UPDATE ecf_accounts SET password_hash = NULL, retired_at = $3 WHERE court_id = $1 AND login = $2 \
                     AND password_hash IS NOT NULL AND (password_set_at IS NULL OR password_set_at < \
                     (SELECT ecf_verified_at FROM link_flows WHERE flow_id = $4))",
                )
                .bind(flow.court_id.as_str())
                .bind(ecf_login.as_str())
                .bind(time_param(now))
                .bind(flow.id)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?
                .rows_affected();
                if retired == 0 {
                    return Ok(ConfirmOutcome::ProofStale);
                }
                append_event(&mut tx, $crate::store::LinkEventKind::Linked, &link, now).await?;
                tx.commit().await.map_err(store_error)?;
                self.after_event_commit();
                Ok(ConfirmOutcome::Linked(link))
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "replace_password_hash"))]
            async fn replace_password_hash(&self, owner: &$crate::store::PasswordOwner, old: &str, new: &str) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::PasswordOwner;
                let _writer = self.write_guard().await;
                let query = match owner {
                    PasswordOwner::Pacer(username) => sqlx::query(
                        "UPDATE pacer_accounts SET password_hash = $2 WHERE username = $1 AND password_hash = $3",
                    )
                    .bind(username.as_str()),
                    PasswordOwner::Ecf(court, login) => sqlx::query(
                        "UPDATE ecf_accounts SET password_hash = $3 WHERE court_id = $1 AND login = $2 AND password_hash = $4",
                    )
                    .bind(court.as_str())
                    .bind(login.as_str()),
                };
                let changed = query
                    .bind(new)
                    .bind(old)
                    .execute(self.pool())
                    .await
                    .map_err(store_error)?
                    .rows_affected();
                Ok(changed == 1)
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "append_audit"))]
            async fn append_audit(&self, events: &[$crate::store::NewAuditEvent]) -> Result<(), $crate::store::StoreError> {
                if events.is_empty() {
                    return Ok(());
                }
                let _writer = self.write_guard().await;
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO audit_events (occurred_at, rpc, court_id, subject, outcome, reason, caller, trace_id) ",
                );
                insert.push_values(events, |mut row, event| {
                    row.push_bind(time_param(event.occurred_at))
                        .push_bind(event.rpc.clone())
                        .push_bind(event.court_id.clone())
                        .push_bind(event.subject.clone())
                        .push_bind(event.outcome.clone())
                        .push_bind(event.reason.clone())
                        .push_bind(event.caller.clone())
                        .push_bind(event.trace_id.clone());
                });
                insert.build().execute(self.pool()).await.map_err(store_error)?;
                Ok(())
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "audit_events"))]
            async fn audit_events(&self, filter: &$crate::store::AuditFilter, limit: i64) -> Result<Vec<$crate::store::AuditRecord>, $crate::store::StoreError> {
                // Only fixed fragments are pushed as SQL; every value is bound.
                let mut query = sqlx::QueryBuilder::new(
                    "SELECT audit_id, occurred_at, rpc, court_id, subject, outcome, reason, caller, trace_id \
                     FROM audit_events WHERE 1 = 1",
                );
                if let Some(court) = &filter.court_id {
                    query.push(" AND court_id = ").push_bind(court.clone());
                }
                if let Some(subject) = &filter.subject {
                    query.push(" AND subject = ").push_bind(subject.clone());
                }
                if let Some(since) = filter.since {
                    query.push(" AND occurred_at >= ").push_bind(time_param(since));
                }
                if let Some(until) = filter.until {
                    query.push(" AND occurred_at < ").push_bind(time_param(until));
                }
                if let Some(before) = filter.before_id {
                    query.push(" AND audit_id < ").push_bind(before);
                }
                query.push(" ORDER BY audit_id DESC LIMIT ").push_bind(limit);
                let rows = query
                    .build()
                    .fetch_all(self.pool())
                    .await
                    .map_err(store_error)?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::store::AuditRecord {
                            id: column(row, "audit_id")?,
                            event: $crate::store::NewAuditEvent {
                                occurred_at: time_column(row, "occurred_at")?,
                                rpc: column(row, "rpc")?,
                                court_id: column(row, "court_id")?,
                                subject: column(row, "subject")?,
                                outcome: column(row, "outcome")?,
                                reason: column(row, "reason")?,
                                caller: column(row, "caller")?,
                                trace_id: column(row, "trace_id")?,
                            },
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "set_totp"))]
            async fn set_totp(&self, username: &$crate::domain::PacerUsername, sealed_secret: Option<&[u8]>) -> Result<bool, $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                let changed = sqlx::query(
                    "UPDATE pacer_accounts SET totp_secret = $2, totp_last_step = NULL WHERE username = $1",
                )
                .bind(username.as_str())
                .bind(sealed_secret)
                .execute(self.pool())
                .await
                .map_err(store_error)?
                .rows_affected();
                Ok(changed == 1)
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "claim_totp_step"))]
            async fn claim_totp_step(&self, username: &$crate::domain::PacerUsername, step: i64) -> Result<bool, $crate::store::StoreError> {
                let _writer = self.write_guard().await;
                let claimed = sqlx::query(
                    "UPDATE pacer_accounts SET totp_last_step = $2 WHERE username = $1 \
                     AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)",
                )
                .bind(username.as_str())
                .bind(step)
                .execute(self.pool())
                .await
                .map_err(store_error)?
                .rows_affected();
                Ok(claimed == 1)
            }

            #[tracing::instrument(name = "db", level = "info", skip_all, fields(otel.kind = "client", db.system = DB_SYSTEM, db.operation = "account_status"))]
            async fn account_status(&self, court: &$crate::domain::CourtId, account: &$crate::store::AccountKey) -> Result<Option<$crate::store::AccountStatus>, $crate::store::StoreError> {
                use $crate::store::AccountKey;
                let (sql, key) = match account {
                    AccountKey::Ecf(login) => (
                        "SELECT c.court_id, a.login AS account, l.ecf_login, l.pacer_username, l.linked_at \
                         FROM courts c \
                         LEFT JOIN ecf_accounts a ON a.court_id = c.court_id AND a.login = $2 \
                         LEFT JOIN links l ON l.court_id = c.court_id AND l.ecf_login = $2 \
                         WHERE c.court_id = $1",
                        login.as_str(),
                    ),
                    AccountKey::Pacer(username) => (
                        "SELECT c.court_id, a.username AS account, l.ecf_login, l.pacer_username, l.linked_at \
                         FROM courts c \
                         LEFT JOIN pacer_accounts a ON a.username = $2 \
                         LEFT JOIN links l ON l.court_id = c.court_id AND l.pacer_username = $2 \
                         WHERE c.court_id = $1",
                        username.as_str(),
                    ),
                };
                let Some(row) = sqlx::query(sql)
                    .bind(court.as_str())
                    .bind(key)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(store_error)?
                else {
                    return Ok(None);
                };
                let account: Option<String> = column(&row, "account")?;
                let linked: Option<String> = column(&row, "ecf_login")?;
                Ok(Some($crate::store::AccountStatus {
                    exists: account.is_some(),
                    link: linked.map(|_| decode_link(&row)).transpose()?,
                }))
            }
        }
    };
}

pub(crate) use sql_store;
