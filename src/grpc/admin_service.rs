//! `AccountAdminService`: operator calls, behind [`super::admin_auth::AdminAuth`].
use prost::Message;
use tonic::{Request, Response, Status};

use super::admin_auth::OperatorName;
use super::audited::take;
use super::convert::{admin_security, coverage, import, timestamp};
use super::requests::{decoded, request_key};
use crate::audit::{AuditFacts, AuditFlush};
use crate::linking::{AdminService, Answer};
use crate::proto::{self, account_admin_service_server::AccountAdminService};
use crate::store::ImportMode;

/// The gRPC face of [`AdminService`]; reads of the audit trail first wait
/// for this replica's deferred rows.
pub struct AccountAdminApi(pub AdminService, pub AuditFlush);

#[tonic::async_trait]
impl AccountAdminService for AccountAdminApi {
    async fn create_court(
        &self,
        request: Request<proto::CreateCourtRequest>,
    ) -> Result<Response<proto::CreateCourtResponse>, Status> {
        let court = self.0.create_court(take(request).0.try_into()?).await?;
        Ok(Response::new(proto::CreateCourtResponse {
            court_id: court.id.as_str().to_owned(),
        }))
    }

    async fn create_pacer_account(
        &self,
        request: Request<proto::CreatePacerAccountRequest>,
    ) -> Result<Response<proto::CreatePacerAccountResponse>, Status> {
        let account = self
            .0
            .create_pacer_account(take(request).0.try_into()?)
            .await?;
        Ok(Response::new(proto::CreatePacerAccountResponse {
            username: account.username.as_str().to_owned(),
        }))
    }

    async fn create_ecf_account(
        &self,
        request: Request<proto::CreateEcfAccountRequest>,
    ) -> Result<Response<proto::CreateEcfAccountResponse>, Status> {
        let account = self
            .0
            .create_ecf_account(take(request).0.try_into()?)
            .await?;
        Ok(Response::new(proto::CreateEcfAccountResponse {
            court_id: account.court_id.as_str().to_owned(),
            login: account.login.as_str().to_owned(),
        }))
    }

    async fn unlink(
        &self,
        request: Request<proto::UnlinkRequest>,
    ) -> Result<Response<proto::UnlinkResponse>, Status> {
        let key = request_key(&request, "Unlink", |m| &mut m.request_id)?;
        let cmd = take(request).0.try_into()?;
        let answer = self.0.once(key, Answer::Plain, || async {
            let unlinked = self.0.unlink(cmd).await?;
            Ok(proto::UnlinkResponse {
                link: Some(unlinked.link.into()),
                event_sequence: unlinked.sequence.max(0) as u64,
                unlinked_at: Some(timestamp(unlinked.unlinked_at)),
            }
            .encode_to_vec())
        });
        decoded(&answer.await?)
    }

    async fn reset_ecf_password(
        &self,
        request: Request<proto::ResetEcfPasswordRequest>,
    ) -> Result<Response<proto::ResetEcfPasswordResponse>, Status> {
        self.0
            .reset_ecf_password(take(request).0.try_into()?)
            .await?;
        Ok(Response::new(proto::ResetEcfPasswordResponse {}))
    }

    async fn enroll_totp(
        &self,
        request: Request<proto::EnrollTotpRequest>,
    ) -> Result<Response<proto::EnrollTotpResponse>, Status> {
        let key = request_key(&request, "EnrollTotp", |m| &mut m.request_id)?;
        let cmd: crate::linking::EnrollTotp = take(request).0.try_into()?;
        let username = cmd.username.as_str().to_owned();
        // The answer may hold the generated secret: sealed at rest.
        let answer = self.0.once(key, Answer::Secret, || async {
            let secret = self.0.enroll_totp(cmd).await?;
            Ok(admin_security::enrolled(&username, secret).encode_to_vec())
        });
        decoded(&answer.await?)
    }

    async fn remove_totp(
        &self,
        request: Request<proto::RemoveTotpRequest>,
    ) -> Result<Response<proto::RemoveTotpResponse>, Status> {
        let key = request_key(&request, "RemoveTotp", |m| &mut m.request_id)?;
        let cmd: crate::linking::EnrollTotp = take(request).0.try_into()?;
        let answer = self.0.once(key, Answer::Plain, || async {
            self.0.enroll_totp(cmd).await?;
            Ok(proto::RemoveTotpResponse {}.encode_to_vec())
        });
        decoded(&answer.await?)
    }

    async fn list_audit_events(
        &self,
        request: Request<proto::ListAuditEventsRequest>,
    ) -> Result<Response<proto::ListAuditEventsResponse>, Status> {
        let query = take(request).0.try_into()?;
        self.1.flush().await;
        let page = self.0.audit_events(query).await?;
        Ok(Response::new(page.into()))
    }

    async fn get_account_security(
        &self,
        request: Request<proto::GetAccountSecurityRequest>,
    ) -> Result<Response<proto::GetAccountSecurityResponse>, Status> {
        let account = take(request).0.try_into()?;
        let security = self.0.account_security(&account).await?;
        Ok(Response::new(security.into()))
    }

    async fn unlock_account(
        &self,
        request: Request<proto::UnlockAccountRequest>,
    ) -> Result<Response<proto::UnlockAccountResponse>, Status> {
        let operator = request.extensions().get::<OperatorName>().cloned();
        let operator = operator.map_or_else(|| "unknown".into(), |o| o.0);
        let key = request_key(&request, "UnlockAccount", |m| &mut m.request_id)?;
        let cmd = take(request).0.try_into()?;
        let answer = self.0.once(key, Answer::Plain, || async {
            let was_locked = self.0.unlock_account(cmd, &operator).await?;
            Ok(proto::UnlockAccountResponse { was_locked }.encode_to_vec())
        });
        decoded(&answer.await?)
    }

    async fn import_accounts(
        &self,
        request: Request<tonic::Streaming<proto::ImportAccountsRequest>>,
    ) -> Result<Response<proto::ImportAccountsResponse>, Status> {
        let facts = AuditFacts::of(request.extensions());
        let mut stream = request.into_inner();
        let Some(first) = stream.message().await? else {
            return Ok(Response::new(proto::ImportAccountsResponse::default()));
        };
        // The first message's options hold for the whole stream.
        let mode = ImportMode {
            dry_run: first.dry_run,
            update_existing: first.update_existing,
        };
        let mut importer = self.0.importer(mode);
        let (mut next, mut index) = (Some(first), 0u64);
        while let Some(message) = next {
            match import::account(message.record) {
                Ok(account) => importer.add(index, account).await?,
                Err((reason, field)) => importer.reject(index, reason, &field),
            }
            index += 1;
            next = stream.message().await?;
        }
        let summary = importer.finish().await?;
        facts.detail(&format!(
            "dry_run={} created={} unchanged={} updated={} rejected={}",
            mode.dry_run, summary.created, summary.unchanged, summary.updated, summary.rejected
        ));
        Ok(Response::new(import::response(summary, mode.dry_run)))
    }

    async fn get_link_coverage(
        &self,
        request: Request<proto::GetLinkCoverageRequest>,
    ) -> Result<Response<proto::LinkCoverage>, Status> {
        let court = take(request).0.try_into()?;
        let counts = self.0.link_coverage(&court).await?;
        Ok(Response::new(coverage::coverage(&court, counts)))
    }

    async fn list_ecf_accounts(
        &self,
        request: Request<proto::ListEcfAccountsRequest>,
    ) -> Result<Response<proto::ListEcfAccountsResponse>, Status> {
        let query = take(request).0.try_into()?;
        let page = self.0.ecf_accounts(&query).await?;
        Ok(Response::new(coverage::page(&query, page)))
    }
}
