//! HTTP to the chosen pacai server, and nothing else.
//!
//! The web content has no network access of its own (its CSP allows only the IPC channel);
//! every API call goes through [`Server::request`], which builds the URL from the chosen
//! origin and an API path checked by [`crate::origin::check_api_path`]. Redirects are not
//! followed and no proxy from the environment is used, so a request cannot end anywhere
//! else. Failures come back as a sentence a person can act on, never a panic.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use rustls::CertificateError;
use serde::Serialize;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::Agent;

use crate::origin::Origin;

/// Largest response body the console reads (the admin API's pages are far smaller).
const MAX_BODY_BYTES: u64 = 8 * 1024 * 1024;

/// Response headers the web content may see (the rest stay in Rust).
const VISIBLE_HEADERS: &[&str] = &[
    "content-type",
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "x-request-id",
    "www-authenticate",
    "etag",
    "content-disposition",
];

/// Request headers the web content may set.
const ALLOWED_REQUEST_HEADERS: &[&str] = &[
    "content-type",
    "accept",
    "authorization",
    "x-request-id",
    "if-none-match",
];

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A client bound to one origin.
#[derive(Clone)]
pub struct Server {
    origin: Origin,
    agent: Agent,
}

impl Server {
    pub fn new(origin: Origin) -> Self {
        let config = Agent::config_builder()
            // The platform's trust store: a studio's own CA installed on the machine is honoured.
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .proxy(None)
            .max_redirects(0)
            .http_status_as_error(false)
            .https_only(origin.is_https())
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent("pacai-console")
            .build();
        Server {
            origin,
            agent: config.into(),
        }
    }

    /// One API call. `path` is `/v5/...` (with an optional query).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Result<ApiResponse, String> {
        let url = self.origin.api_url(path)?;
        let method = method.to_ascii_uppercase();
        let mut builder = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(&url);
        for (name, value) in headers {
            let lower = name.to_ascii_lowercase();
            if !ALLOWED_REQUEST_HEADERS.contains(&lower.as_str()) {
                return Err(format!("Refused request header {name:?}."));
            }
            builder = builder.header(lower, value);
        }
        let result = match method.as_str() {
            "GET" | "DELETE" | "HEAD" => builder
                .body(())
                .map_err(|e| format!("Invalid request: {e}"))
                .and_then(|req| {
                    self.agent
                        .run(req)
                        .map_err(|e| describe_error(&self.origin, &e))
                }),
            "POST" | "PUT" | "PATCH" => builder
                .body(body.unwrap_or_default().to_string())
                .map_err(|e| format!("Invalid request: {e}"))
                .and_then(|req| {
                    self.agent
                        .run(req)
                        .map_err(|e| describe_error(&self.origin, &e))
                }),
            other => return Err(format!("Refused HTTP method {other:?}.")),
        };
        let mut response = result?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| VISIBLE_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| {
                value
                    .to_str()
                    .ok()
                    .map(|v| (name.to_string(), v.to_string()))
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => {
                    "The server's answer was too large.".to_string()
                }
                other => describe_error(&self.origin, &other),
            })?;
        Ok(ApiResponse {
            status,
            headers,
            body,
        })
    }

    /// `GET /v5/health`, read as the console needs it.
    pub fn health(&self) -> Result<Health, String> {
        let response = self.request("GET", "/v5/health", &[], None)?;
        Health::from_response(&response)
    }
}

/// What the console shows of `GET /v5/health` (CONTRACT §2.1).
#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct Health {
    pub http_status: u16,
    /// `ok`, `degraded` or `down`.
    pub status: String,
    pub version: Option<String>,
    pub environment: Option<String>,
    /// The server's own JSON, for the health view to list every check.
    pub document: serde_json::Value,
}

impl Health {
    pub fn from_response(response: &ApiResponse) -> Result<Self, String> {
        let document: serde_json::Value = serde_json::from_str(&response.body).map_err(|_| {
            format!(
                "The server answered /v5/health with HTTP {} but not with pacai's health document; \
                 is this address a pacai server?",
                response.status
            )
        })?;
        let text = |key: &str| {
            document
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let status = text("status").ok_or_else(|| {
            format!(
                "The server answered /v5/health with HTTP {} but without a status; is this a pacai server?",
                response.status
            )
        })?;
        Ok(Health {
            http_status: response.status,
            version: text("version"),
            environment: text("environment"),
            status,
            document,
        })
    }

    /// The server serves requests: `ok`, or `degraded` (an optional part is down).
    pub fn is_serving(&self) -> bool {
        self.status == "ok" || self.status == "degraded"
    }
}

/// A failed request in words: what went wrong and, where it helps, what to do.
pub fn describe_error(origin: &Origin, error: &ureq::Error) -> String {
    let host = origin.host();
    if let Some(tls) = find_rustls_error(error) {
        return describe_tls(host, &tls);
    }
    match error {
        ureq::Error::HostNotFound => {
            format!("The server name {host} could not be found (DNS). Check the address.")
        }
        ureq::Error::Timeout(_) => format!("{origin} did not answer in time."),
        ureq::Error::ConnectionFailed => format!("Could not connect to {origin}."),
        ureq::Error::RequireHttpsOnly(_) | ureq::Error::TlsRequired => {
            format!("{origin} tried to switch to an unencrypted connection; refused.")
        }
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            format!("{origin} answered with a redirect; the console only talks to the address you chose.")
        }
        ureq::Error::Io(io_error) => describe_io(origin, io_error),
        ureq::Error::Tls(text) => format!("The secure connection to {host} failed: {text}."),
        other => format!("The request to {origin} failed: {other}."),
    }
}

fn describe_io(origin: &Origin, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => {
            format!("{origin} refused the connection: no server is listening there (is pacai running, and is the port right?).")
        }
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof => {
            if origin.is_https() {
                format!(
                    "{origin} closed the connection during the request (is it serving https on that port?)."
                )
            } else {
                format!("{origin} closed the connection during the request.")
            }
        }
        io::ErrorKind::TimedOut => format!("{origin} did not answer in time."),
        io::ErrorKind::InvalidData if origin.is_https() => {
            format!(
                "{origin} did not speak TLS as expected (is it serving plain http on that port?)."
            )
        }
        _ => format!("The connection to {origin} failed: {error}."),
    }
}

fn find_rustls_error(error: &ureq::Error) -> Option<rustls::Error> {
    if let ureq::Error::Rustls(e) = error {
        return Some(e.clone());
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = match error {
        ureq::Error::Io(io_error) => io_error
            .get_ref()
            .map(|e| e as &(dyn std::error::Error + 'static)),
        _ => error.source(),
    };
    while let Some(current) = source {
        if let Some(found) = current.downcast_ref::<rustls::Error>() {
            return Some(found.clone());
        }
        source = current.source();
    }
    None
}

/// TLS failures in the words an operator needs ("The server's certificate is not trusted: …").
pub fn describe_tls(host: &str, error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(cert) => {
            let why = match cert {
                CertificateError::UnknownIssuer => format!(
                    "it was issued by an authority this computer does not trust. If {host} uses your \
                     studio's own certificate authority, install that CA certificate in the system's trust store."
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "it has expired. The server's administrator must renew it.".to_string()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "it is not valid yet (check this computer's clock).".to_string()
                }
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                    format!("it was not issued for the name {host}. Use the name the certificate was made for.")
                }
                CertificateError::Revoked => "it has been revoked.".to_string(),
                CertificateError::BadSignature | CertificateError::BadEncoding => {
                    "it is damaged or badly signed.".to_string()
                }
                CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                    "it is not meant for a web server.".to_string()
                }
                CertificateError::Other(detail) => describe_other_certificate_error(&format!("{detail:?}")),
                other => format!("it could not be verified ({other:?})."),
            };
            format!("The server's certificate is not trusted: {why}")
        }
        rustls::Error::NoCertificatesPresented => format!("{host} presented no certificate."),
        rustls::Error::AlertReceived(alert) => {
            format!("{host} ended the secure connection ({alert:?}).")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!(
                "{host} did not speak TLS as expected (is it serving plain http on that port?)."
            )
        }
        other => format!("The secure connection to {host} failed: {other}."),
    }
}

/// Verifiers report some failures only as text inside `CertificateError::Other`.
fn describe_other_certificate_error(detail: &str) -> String {
    if detail.contains("CaUsedAsEndEntity") || detail.contains("SelfSigned") {
        "it is self-signed (the server presents its own authority's certificate). Install that certificate \
         in this computer's trust store only if you know it is the right one, or give the server a certificate \
         from a trusted authority."
            .to_string()
    } else if detail.contains("UnknownIssuer") {
        "it was issued by an authority this computer does not trust.".to_string()
    } else {
        format!("it could not be verified ({detail}).")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_read_plainly() {
        let text = describe_tls(
            "pacai.example.com",
            &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        assert!(
            text.starts_with("The server's certificate is not trusted: "),
            "{text}"
        );
        assert!(text.contains("does not trust"), "{text}");
        let text = describe_tls(
            "a.example",
            &rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
        );
        assert!(text.contains("not issued for the name a.example"), "{text}");
        let text = describe_tls(
            "a.example",
            &rustls::Error::InvalidCertificate(CertificateError::Expired),
        );
        assert!(text.contains("expired"), "{text}");
    }

    #[test]
    fn a_refused_connection_reads_plainly() {
        let origin = Origin::loopback(9);
        let error = ureq::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused));
        let text = describe_error(&origin, &error);
        assert!(text.contains("refused the connection"), "{text}");
        assert!(text.contains("http://127.0.0.1:9"), "{text}");
    }

    #[test]
    fn a_wrapped_tls_error_is_found() {
        let inner = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let error = ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, inner));
        let origin = Origin::parse("https://pacai.example.com").map_err(|e| e.to_string());
        let text = origin.map(|o| describe_error(&o, &error));
        assert!(text.is_ok_and(|t| t.starts_with("The server's certificate is not trusted")));
    }

    fn response(status: u16, body: &str) -> ApiResponse {
        ApiResponse {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    #[test]
    fn health_documents_are_read_without_trusting_them() {
        let ok = Health::from_response(&response(
            200,
            r#"{"status":"ok","version":"5.0.0","checks":{}}"#,
        ));
        assert!(ok.is_ok_and(|h| h.is_serving() && h.version.as_deref() == Some("5.0.0")));
        let down = Health::from_response(&response(503, r#"{"status":"down"}"#));
        assert!(down.is_ok_and(|h| !h.is_serving()));
        for bad in [
            "",
            "<html>",
            "[]",
            r#"{"status": 3}"#,
            "{\"status\":",
            "null",
        ] {
            assert!(Health::from_response(&response(200, bad)).is_err(), "{bad}");
        }
    }
}
