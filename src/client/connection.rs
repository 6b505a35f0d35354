//! How a command-line client reaches the service and proves its operator.
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use crate::config::{ADMIN_TOKEN_ENV, secret_from_env};

/// Where the service is.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The service, e.g. http://127.0.0.1:50051 (https:// for TLS).
    #[arg(
        long,
        env = "PACER_LINK_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub addr: String,
    /// The CA that signed the service's certificate (https:// only).
    #[arg(long, env = "PACER_LINK_CA_FILE")]
    pub ca_file: Option<PathBuf>,
}

impl Connection {
    /// A channel to the service.
    pub async fn connect(&self) -> anyhow::Result<Channel> {
        let mut endpoint = Channel::from_shared(self.addr.clone())
            .with_context(|| format!("--addr {} is not a URL", self.addr))?;
        if self.addr.starts_with("https://") {
            let mut tls = ClientTlsConfig::new();
            if let Some(path) = &self.ca_file {
                let pem = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                tls = tls.ca_certificate(Certificate::from_pem(pem));
            }
            endpoint = endpoint.tls_config(tls)?;
        }
        endpoint
            .connect()
            .await
            .with_context(|| format!("cannot reach {}", self.addr))
    }
}

/// The operator's token, from `PACER_LINK_ADMIN_TOKEN` or its `_FILE`.
pub fn admin_token() -> anyhow::Result<String> {
    secret_from_env(ADMIN_TOKEN_ENV)
        .map_err(anyhow::Error::msg)?
        .with_context(|| format!("set {ADMIN_TOKEN_ENV} or {ADMIN_TOKEN_ENV}_FILE"))
}

/// `message` with the operator's bearer token.
pub fn admin_request<T>(token: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    let bearer = format!("Bearer {token}")
        .parse()
        .context("the admin token is not valid header text")?;
    request.metadata_mut().insert("authorization", bearer);
    Ok(request)
}
