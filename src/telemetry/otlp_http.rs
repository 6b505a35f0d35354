//! OTLP over HTTP with protobuf bodies (`OTEL_EXPORTER_OTLP_PROTOCOL=
//! http/protobuf`): each batch is one `POST {endpoint}/v1/traces` of an
//! `ExportTraceServiceRequest`, over `http://` or `https://` (the system's
//! CA roots, or `OTEL_EXPORTER_OTLP_CERTIFICATE`). The request runs on the
//! service's tokio runtime, whichever thread the batch processor exports
//! from; a connection per batch keeps it simple at a batch every few seconds.
use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::{
    common::tonic::ResourceAttributesWithSchema, trace::tonic::group_spans_by_resource_and_scope,
};
use opentelemetry_sdk::{
    Resource,
    error::{OTelSdkError, OTelSdkResult},
    trace::{SpanData, SpanExporter},
};
use prost::Message;
use tokio::net::TcpStream;

/// How long one export may take, connection included.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Posts span batches to an OTLP/HTTP collector.
pub struct HttpExporter {
    uri: Uri,
    tls: Option<tokio_rustls::TlsConnector>,
    runtime: tokio::runtime::Handle,
    resource: ResourceAttributesWithSchema,
}

impl std::fmt::Debug for HttpExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpExporter")
            .field("uri", &self.uri)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// The traces URL: the signal-specific endpoint as given, or the general
/// one with `/v1/traces` appended, as the OTLP exporter spec has it.
pub fn traces_url(endpoint: &str, signal_specific: bool) -> String {
    if signal_specific {
        endpoint.to_owned()
    } else {
        format!("{}/v1/traces", endpoint.trim_end_matches('/'))
    }
}

impl HttpExporter {
    /// An exporter posting to `url`; needs a tokio runtime (the service's).
    pub fn new(url: &str, certificate: Option<&str>) -> anyhow::Result<Self> {
        let uri: Uri = url
            .parse()
            .map_err(|e| anyhow::anyhow!("OTLP endpoint {url:?}: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("http") => None,
            Some("https") => Some(tls_connector(certificate)?),
            _ => anyhow::bail!("OTLP endpoint {url:?} must start with http:// or https://"),
        };
        if uri.host().is_none() {
            anyhow::bail!("OTLP endpoint {url:?} names no host");
        }
        Ok(Self {
            uri,
            tls,
            runtime: tokio::runtime::Handle::try_current()
                .map_err(|_| anyhow::anyhow!("the OTLP/HTTP exporter needs a tokio runtime"))?,
            resource: ResourceAttributesWithSchema::from(&Resource::builder_empty().build()),
        })
    }
}

fn tls_connector(certificate: Option<&str>) -> anyhow::Result<tokio_rustls::TlsConnector> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = certificate {
        for cert in CertificateDer::pem_file_iter(path)
            .map_err(|e| anyhow::anyhow!("OTEL_EXPORTER_OTLP_CERTIFICATE {path}: {e}"))?
        {
            roots.add(cert.map_err(|e| anyhow::anyhow!("{path}: {e}"))?)?;
        }
    } else {
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn post(
    uri: Uri,
    tls: Option<tokio_rustls::TlsConnector>,
    body: Vec<u8>,
) -> Result<(), String> {
    let host = uri.host().unwrap_or_default().to_owned();
    let port = uri
        .port_u16()
        .unwrap_or(if tls.is_some() { 443 } else { 80 });
    let request = Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(
            header::HOST,
            uri.authority().map_or(host.as_str(), |a| a.as_str()),
        )
        .header(header::CONTENT_TYPE, "application/x-protobuf")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("connecting to {host}:{port}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let status = match tls {
        None => send(TokioIo::new(tcp), request).await?,
        Some(tls) => {
            let name =
                rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                    .map_err(|e| e.to_string())?;
            let stream = tls
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {host}: {e}"))?;
            send(TokioIo::new(stream), request).await?
        }
    };
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the collector answered {status}"))
    }
}

async fn send<I>(io: I, request: Request<Full<Bytes>>) -> Result<http::StatusCode, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.status())
}

impl SpanExporter for HttpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let body = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(batch, &self.resource),
        }
        .encode_to_vec();
        let posting = tokio::time::timeout(
            EXPORT_TIMEOUT,
            post(self.uri.clone(), self.tls.clone(), body),
        );
        match self.runtime.spawn(posting).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(OTelSdkError::InternalFailure(error)),
            Ok(Err(_)) => Err(OTelSdkError::Timeout(EXPORT_TIMEOUT)),
            Err(join) => Err(OTelSdkError::InternalFailure(join.to_string())),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = ResourceAttributesWithSchema::from(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Tracer, TracerProvider as _};

    #[test]
    fn the_traces_path_is_appended_to_the_general_endpoint_only() {
        assert_eq!(
            traces_url("http://collector:4318/", false),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("https://c:4318/custom", true),
            "https://c:4318/custom"
        );
    }

    #[test]
    fn endpoints_are_checked_when_built() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _inside = runtime.enter();
        assert!(HttpExporter::new("ftp://collector/v1/traces", None).is_err());
        assert!(HttpExporter::new("http://collector:4318/v1/traces", None).is_ok());
        assert!(HttpExporter::new("https://collector:4318/v1/traces", None).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_are_posted_as_protobuf_to_the_traces_path() {
        use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
        type Seen = Arc<std::sync::Mutex<Vec<(String, Bytes)>>>;
        let seen: Seen = Arc::default();
        let app = Router::new()
            .route(
                "/v1/traces",
                post(
                    |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                        let kind = headers[header::CONTENT_TYPE].to_str().unwrap().to_owned();
                        seen.lock().unwrap().push((kind, body));
                    },
                ),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let url = traces_url(&format!("http://{addr}"), false);
        let exporter = HttpExporter::new(&url, None).unwrap();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_resource(Resource::builder_empty().with_service_name("probe").build())
            .with_simple_exporter(exporter)
            .build();
        tokio::task::spawn_blocking(move || {
            provider.tracer("test").in_span("posted-span", |_| {});
            provider.shutdown().unwrap();
        })
        .await
        .unwrap();

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, "application/x-protobuf");
        let request = ExportTraceServiceRequest::decode(seen[0].1.clone()).unwrap();
        let spans = &request.resource_spans[0].scope_spans[0].spans;
        assert_eq!(spans[0].name, "posted-span");
        let resource = request.resource_spans[0].resource.as_ref().unwrap();
        assert!(
            resource
                .attributes
                .iter()
                .any(|kv| kv.key == "service.name")
        );
    }
}
