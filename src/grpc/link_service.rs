//! `AccountLinkService`: each RPC parses its request, calls the linking
//! service, and shapes the answer. No logic lives here.
use tonic::{Request, Response, Status};

use super::audited::take;
use super::convert::{court_id, flow_token, timestamp};
use crate::completion::run_to_completion;
use crate::domain::environment_text;
use crate::linking::{LINKED_MESSAGE, LinkService};
use crate::proto::{self, account_link_service_server::AccountLinkService};

/// The gRPC face of [`LinkService`].
pub struct AccountLinkApi(pub LinkService);

#[tonic::async_trait]
impl AccountLinkService for AccountLinkApi {
    async fn authenticate_pacer(
        &self,
        request: Request<proto::AuthenticatePacerRequest>,
    ) -> Result<Response<proto::AuthenticatePacerResponse>, Status> {
        let (message, facts) = take(request);
        let cmd = message.try_into()?;
        let service = self.0.clone();
        // Run to the end even if the caller leaves, so a counted attempt is settled.
        let started =
            run_to_completion(async move { service.authenticate_pacer(cmd, &facts).await }).await?;
        Ok(Response::new(proto::AuthenticatePacerResponse {
            flow_token: started.token.expose().to_owned(),
            expires_at: Some(timestamp(started.expires_at)),
            pacer_account: Some(started.pacer_account.into()),
        }))
    }

    async fn verify_ecf(
        &self,
        request: Request<proto::VerifyEcfRequest>,
    ) -> Result<Response<proto::VerifyEcfResponse>, Status> {
        let (message, facts) = take(request);
        let cmd = message.try_into()?;
        let service = self.0.clone();
        let account =
            run_to_completion(async move { service.verify_ecf(cmd, &facts).await }).await?;
        Ok(Response::new(proto::VerifyEcfResponse {
            ecf_account: Some(account.into()),
        }))
    }

    async fn preview_link(
        &self,
        request: Request<proto::PreviewLinkRequest>,
    ) -> Result<Response<proto::PreviewLinkResponse>, Status> {
        let (message, facts) = take(request);
        let token = flow_token(&message.flow_token)?;
        let preview = self.0.preview_link(&token, &facts).await?;
        Ok(Response::new(proto::PreviewLinkResponse {
            pacer_account: Some(preview.pacer_account.into()),
            ecf_account: Some(preview.ecf_account.into()),
            names_match: preview.names_match,
            notice: preview.notice,
        }))
    }

    async fn confirm_link(
        &self,
        request: Request<proto::ConfirmLinkRequest>,
    ) -> Result<Response<proto::ConfirmLinkResponse>, Status> {
        let (message, facts) = take(request);
        let token = flow_token(&message.flow_token)?;
        let link = self.0.confirm_link(&token, &facts).await?;
        Ok(Response::new(proto::ConfirmLinkResponse {
            link: Some(link.into()),
            message: LINKED_MESSAGE.to_owned(),
        }))
    }

    async fn get_court(
        &self,
        request: Request<proto::GetCourtRequest>,
    ) -> Result<Response<proto::Court>, Status> {
        let (message, _facts) = take(request);
        let id = court_id(&message.court_id)?;
        let court = self.0.court(&id).await?;
        Ok(Response::new(proto::Court {
            court_id: court.id.as_str().to_owned(),
            name: court.name.as_str().to_owned(),
            ecf_login_prefix: court.ecf_login_prefix.as_str().to_owned(),
            environment: environment_text(court.environment.as_ref()).to_owned(),
        }))
    }
}
