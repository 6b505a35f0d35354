//! TLS on the gRPC port, optionally requiring client certificates (mTLS).
use std::path::{Path, PathBuf};

use clap::Args;

/// Where the certificate, key and client CA are.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// PEM certificate chain for TLS on the gRPC port (with the key file);
    /// plaintext when unset, e.g. behind a mesh that provides mTLS.
    #[arg(long, env = "PACER_LINK_TLS_CERT_FILE")]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of that certificate.
    #[arg(long, env = "PACER_LINK_TLS_KEY_FILE")]
    pub tls_key_file: Option<PathBuf>,
    /// PEM CA bundle: when set, every client must present a certificate
    /// it signed (mTLS).
    #[arg(long, env = "PACER_LINK_TLS_CLIENT_CA_FILE")]
    pub tls_client_ca_file: Option<PathBuf>,
}

/// TLS material, read at start-up. No `Debug`, so the key cannot be logged.
#[derive(Clone)]
pub struct TlsSettings {
    /// PEM certificate chain.
    pub cert_pem: Vec<u8>,
    /// PEM private key.
    pub key_pem: Vec<u8>,
    /// PEM CA bundle for client certificates (mTLS), if required.
    pub client_ca_pem: Option<Vec<u8>>,
}

impl TlsArgs {
    /// The TLS material, read from its files; `None` for plaintext.
    pub fn settings(&self) -> Result<Option<TlsSettings>, String> {
        let read = |name: &str, path: &Path| {
            std::fs::read(path).map_err(|e| format!("{name}: cannot read {}: {e}", path.display()))
        };
        match (&self.tls_cert_file, &self.tls_key_file) {
            (None, None) if self.tls_client_ca_file.is_some() => Err(
                "PACER_LINK_TLS_CLIENT_CA_FILE needs PACER_LINK_TLS_CERT_FILE and \
                 PACER_LINK_TLS_KEY_FILE"
                    .into(),
            ),
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(TlsSettings {
                cert_pem: read("PACER_LINK_TLS_CERT_FILE", cert)?,
                key_pem: read("PACER_LINK_TLS_KEY_FILE", key)?,
                client_ca_pem: self
                    .tls_client_ca_file
                    .as_deref()
                    .map(|ca| read("PACER_LINK_TLS_CLIENT_CA_FILE", ca))
                    .transpose()?,
            })),
            _ => Err(
                "set both PACER_LINK_TLS_CERT_FILE and PACER_LINK_TLS_KEY_FILE, or neither".into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> TlsArgs {
        super::super::parse_defaults()
    }

    fn refusal(args: TlsArgs) -> String {
        args.settings().err().expect("refused")
    }

    #[test]
    fn without_files_the_port_is_plaintext() {
        assert!(args().settings().unwrap().is_none());
    }

    #[test]
    fn a_certificate_without_its_key_is_refused() {
        let message = refusal(TlsArgs {
            tls_cert_file: Some("cert.pem".into()),
            ..args()
        });

        assert!(message.contains("PACER_LINK_TLS_KEY_FILE"), "{message}");
    }

    #[test]
    fn a_client_ca_without_a_certificate_is_refused() {
        let message = refusal(TlsArgs {
            tls_client_ca_file: Some("ca.pem".into()),
            ..args()
        });

        assert!(
            message.starts_with("PACER_LINK_TLS_CLIENT_CA_FILE needs"),
            "{message}"
        );
    }

    #[test]
    fn an_unreadable_certificate_is_refused_naming_the_variable() {
        let missing = std::env::temp_dir().join("pacer-link-no-such-cert.pem");
        let message = refusal(TlsArgs {
            tls_cert_file: Some(missing.clone()),
            tls_key_file: Some(missing),
            ..args()
        });

        assert!(
            message.starts_with("PACER_LINK_TLS_CERT_FILE: cannot read"),
            "{message}"
        );
    }
}
