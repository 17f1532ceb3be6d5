//! The HTTP client for autoconfig: reqwest over rustls with the engine's TLS configuration
//! ([`Tls::client_config`]: the platform verifier, as every other connection), host names
//! resolved through discovery's [`Dns`], no proxy, HTTP/1.1 only, every request time-limited and
//! size-limited.

use std::sync::Arc;
use std::time::Duration;

use crate::net::Tls;

use super::dns::Dns;

/// How long one autoconfig request may take, from connecting to the last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(6);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
const MAX_REDIRECTS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// 404 / 410, or a name that does not resolve: there is simply no file there.
    NotFound,
    /// The server's certificate is not trusted.
    Certificate(String),
    /// Anything else, in words.
    Failed(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::NotFound => f.write_str("not found"),
            HttpError::Certificate(e) => write!(f, "the certificate is not trusted ({e})"),
            HttpError::Failed(e) => f.write_str(e),
        }
    }
}

/// A client for HTTPS (and, for the untrusted fallback, plain HTTP) requests.
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
}

impl HttpClient {
    /// A client trusting what `tls` trusts (the same platform verifier as every other
    /// connection), resolving through `dns`.
    pub fn new(dns: Dns, tls: &Tls) -> Result<HttpClient, String> {
        let config = tls
            .client_config()
            .map_err(|e| format!("setting up TLS for HTTPS: {}", e.summary()))?;
        // An HTTPS request may be redirected only to another HTTPS address: a plain-HTTP hop
        // would make the answer untrustworthy.
        let redirect = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if attempt
                .previous()
                .first()
                .is_some_and(|u| u.scheme() == "https")
                && attempt.url().scheme() != "https"
            {
                attempt.error("an HTTPS address redirected to plain HTTP")
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .dns_resolver(Arc::new(dns))
            .no_proxy()
            .http1_only()
            .redirect(redirect)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("Petrel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("setting up the HTTP client: {e}"))?;
        Ok(HttpClient { client })
    }

    /// GETs `url` and returns its body as text, at most `max_size` bytes. `https` says whether
    /// the URL must be HTTPS (a safeguard against a caller's mistake).
    pub async fn get_text(
        &self,
        url: &str,
        https: bool,
        max_size: usize,
    ) -> Result<String, HttpError> {
        if https && !url.starts_with("https://") {
            return Err(HttpError::Failed(format!("{url} is not an HTTPS address")));
        }
        let work = async {
            let mut response = self.client.get(url).send().await.map_err(classify)?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
                return Err(HttpError::NotFound);
            }
            if !status.is_success() {
                return Err(HttpError::Failed(format!(
                    "the web server answered {status}"
                )));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(classify)? {
                body.extend_from_slice(&chunk);
                if body.len() > max_size {
                    return Err(HttpError::Failed(format!(
                        "the answer is larger than {max_size} bytes"
                    )));
                }
            }
            String::from_utf8(body)
                .map_err(|_| HttpError::Failed("the answer is not UTF-8 text".into()))
        };
        // reqwest's own timeout covers the request; this one also covers the body loop.
        tokio::time::timeout(REQUEST_TIMEOUT + Duration::from_secs(1), work)
            .await
            .unwrap_or_else(|_| Err(HttpError::Failed("the web server took too long".into())))
    }
}

/// Sorts reqwest's errors into "nothing there", "certificate" and the rest. The words are the
/// innermost cause (reqwest's own message repeats the URL, which the caller already names).
fn classify(e: reqwest::Error) -> HttpError {
    let mut certificate = None;
    let mut innermost = e.to_string();
    let mut everything = innermost.clone();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        if let Some(rustls::Error::InvalidCertificate(reason)) = s.downcast_ref::<rustls::Error>() {
            certificate = Some(format!("{reason:?}"));
        }
        innermost = s.to_string();
        everything.push_str(": ");
        everything.push_str(&innermost);
        source = s.source();
    }
    let lower = everything.to_ascii_lowercase();
    if certificate.is_none() && lower.contains("certificate") {
        certificate = Some(innermost.clone());
    }
    if let Some(reason) = certificate {
        HttpError::Certificate(reason)
    } else if lower.contains("no such dns record") || lower.contains("connection refused") {
        HttpError::NotFound
    } else if e.is_timeout() {
        HttpError::Failed("the web server took too long".into())
    } else if e.is_connect() {
        HttpError::Failed(format!("could not connect: {innermost}"))
    } else {
        HttpError::Failed(innermost)
    }
}
