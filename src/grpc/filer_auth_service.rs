//! `FilerAuthService`: CM/ECF sign-in with PACER credentials.
use tonic::{Request, Response, Status};

use super::audited::take;
use crate::completion::run_to_completion;
use crate::linking::StatusService;
use crate::proto::{self, filer_auth_service_server::FilerAuthService};

/// The gRPC face of [`StatusService::authenticate_filer`].
pub struct FilerAuthApi(pub StatusService);

#[tonic::async_trait]
impl FilerAuthService for FilerAuthApi {
    async fn authenticate_filer(
        &self,
        request: Request<proto::AuthenticateFilerRequest>,
    ) -> Result<Response<proto::AuthenticateFilerResponse>, Status> {
        let (message, facts) = take(request);
        let cmd = message.try_into()?;
        let service = self.0.clone();
        // Run to the end even if the caller leaves, so a counted attempt is settled.
        let identity =
            run_to_completion(async move { service.authenticate_filer(cmd, &facts).await }).await?;
        Ok(Response::new(proto::AuthenticateFilerResponse {
            ecf_account: Some(identity.ecf_account.into()),
            pacer_username: identity.pacer_username.as_str().to_owned(),
        }))
    }
}
