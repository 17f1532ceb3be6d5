//! A real web server on loopback for tests: HTTPS with a certificate for the names the test
//! gives, signed by the test CA of the mail servers (so clients trust it exactly as they trust
//! the mail servers, through `SSL_CERT_FILE`), and optionally plain HTTP too. It serves fixed
//! bodies by host and path, HTTP/1.1, one request per connection, and records every request.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use petrel_testkit::https::{Route, WebServer};
//! let servers = petrel_testkit::Servers::shared()?;
//! let web = WebServer::builder()
//!     .route("autoconfig.example.test", "/mail/config-v1.1.xml", Route::ok("<clientConfig/>"))
//!     .start(servers, &["autoconfig.example.test"])?;
//! // https://autoconfig.example.test:{web.https_port()}/mail/config-v1.1.xml
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Servers;

/// What one path answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    /// Wait this long before answering (to test slow sources).
    pub delay: Duration,
}

impl Route {
    pub fn ok(body: impl Into<String>) -> Route {
        Route {
            status: 200,
            body: body.into(),
            content_type: "text/xml; charset=utf-8".into(),
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Route {
        Route {
            status,
            body: String::new(),
            content_type: "text/plain".into(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Route {
        self.delay = delay;
        self
    }
}

/// A request the server saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub https: bool,
    /// The Host header, without a port.
    pub host: String,
    /// Path and query, as sent.
    pub target: String,
}

type Routes = HashMap<(String, String), Route>;

/// Routes to serve, before starting.
#[derive(Debug, Default)]
pub struct WebServerBuilder {
    https: Routes,
    http: Routes,
}

impl WebServerBuilder {
    /// Serves `route` over HTTPS for `host` (no port) and `path` (no query).
    pub fn route(mut self, host: &str, path: &str, route: Route) -> WebServerBuilder {
        self.https
            .insert((host.to_ascii_lowercase(), path.to_string()), route);
        self
    }

    /// Serves `route` over plain HTTP (which then starts too).
    pub fn http_route(mut self, host: &str, path: &str, route: Route) -> WebServerBuilder {
        self.http
            .insert((host.to_ascii_lowercase(), path.to_string()), route);
        self
    }

    /// Starts on free ports of 127.0.0.1, with a certificate for `names` signed by the test CA
    /// of `servers` (its key, `ca.key`, lies beside `ca.pem`).
    pub fn start(self, servers: &Servers, names: &[&str]) -> Result<WebServer> {
        let key_path = servers.ca_file.with_file_name("ca.key");
        self.start_with_ca(&servers.ca_file, &key_path, names)
    }

    /// Like [`WebServerBuilder::start`], with the CA's certificate and key given.
    pub fn start_with_ca(self, ca_cert: &Path, ca_key: &Path, names: &[&str]) -> Result<WebServer> {
        let tls = server_config(ca_cert, ca_key, names)?;
        let https_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("binding the test HTTPS server")?;
        let https_addr = https_listener.local_addr()?;
        let http_listener = if self.http.is_empty() {
            None
        } else {
            Some(
                std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                    .context("binding the test HTTP server")?,
            )
        };
        let http_addr = match &http_listener {
            Some(l) => Some(l.local_addr()?),
            None => None,
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<()>>();
        let state = Arc::new(State {
            https: self.https,
            http: self.http,
            seen: seen.clone(),
        });
        let thread = std::thread::Builder::new()
            .name("petrel-test-web".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow!("starting a runtime: {e}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listeners = (|| -> Result<_> {
                        https_listener.set_nonblocking(true)?;
                        let https = TcpListener::from_std(https_listener)?;
                        let http = match http_listener {
                            Some(l) => {
                                l.set_nonblocking(true)?;
                                Some(TcpListener::from_std(l)?)
                            }
                            None => None,
                        };
                        Ok((https, http))
                    })();
                    let (https, http) = match listeners {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
                    let https_task = tokio::spawn(serve_https(https, acceptor, state.clone()));
                    let http_task = http.map(|l| tokio::spawn(serve_http(l, state)));
                    let _ = ready_tx.send(Ok(()));
                    let _ = stopped.await;
                    https_task.abort();
                    if let Some(t) = http_task {
                        t.abort();
                    }
                });
            })
            .context("starting the test web server's thread")?;
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| anyhow!("the test web server did not start"))??;
        Ok(WebServer {
            https_addr,
            http_addr,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running web server; stops when dropped.
#[derive(Debug)]
pub struct WebServer {
    https_addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WebServer {
    pub fn builder() -> WebServerBuilder {
        WebServerBuilder::default()
    }

    pub fn https_port(&self) -> u16 {
        self.https_addr.port()
    }

    /// The plain-HTTP port, if any `http_route` was given.
    pub fn http_port(&self) -> Option<u16> {
        self.http_addr.map(|a| a.port())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct State {
    https: Routes,
    http: Routes,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A leaf certificate for `names`, signed by the CA.
fn server_config(ca_cert: &Path, ca_key: &Path, names: &[&str]) -> Result<rustls::ServerConfig> {
    let ca_pem = std::fs::read_to_string(ca_cert)
        .with_context(|| format!("reading {}", ca_cert.display()))?;
    let ca_key_pem =
        std::fs::read_to_string(ca_key).with_context(|| format!("reading {}", ca_key.display()))?;
    let ca_key = rcgen::KeyPair::from_pem(&ca_key_pem).context("reading the test CA's key")?;
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key).context("reading the test CA")?;
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .context("certificate names")?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().copied().unwrap_or("localhost"),
    );
    params.use_authority_key_identifier_extension = true;
    params
        .extended_key_usages
        .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth);
    let key = rcgen::KeyPair::generate().context("making a key")?;
    let cert = params
        .signed_by(&key, &issuer)
        .context("signing the web server's certificate")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .context("the web server's TLS set-up")
}

async fn serve_https(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let tls = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await;
            if let Ok(Ok(stream)) = tls {
                let _ = tokio::time::timeout(Duration::from_secs(30), handle(stream, true, &state))
                    .await;
            }
        });
    }
}

async fn serve_http(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(30), handle_plain(tcp, &state)).await;
        });
    }
}

async fn handle_plain(tcp: TcpStream, state: &State) {
    handle(tcp, false, state).await;
}

async fn handle<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    https: bool,
    state: &State,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 32 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let host = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.trim())
        .unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map(|(h, _)| h)
        .unwrap_or(host)
        .to_ascii_lowercase();
    if let Ok(mut seen) = state.seen.lock() {
        seen.push(Seen {
            https,
            host: host.clone(),
            target: target.clone(),
        });
    }
    let path = target.split('?').next().unwrap_or_default().to_string();
    let routes = if https { &state.https } else { &state.http };
    let route = match routes.get(&(host, path)) {
        Some(r) if method == "GET" => r.clone(),
        Some(_) => Route::status(405),
        None => Route::status(404),
    };
    if !route.delay.is_zero() {
        tokio::time::sleep(route.delay).await;
    }
    let reason = match route.status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let response = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        route.status,
        route.content_type,
        route.body.len(),
        route.body
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}
