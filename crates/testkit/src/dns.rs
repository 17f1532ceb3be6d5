//! A real DNS server on loopback (hickory-server, UDP and TCP on one free port of 127.0.0.1)
//! serving an in-memory zone the test describes: A, AAAA, MX and SRV records under any name.
//! It is authoritative for the whole tree, so every other name gets a quick NXDOMAIN.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use petrel_testkit::dns::{DnsServer, Zone};
//! let zone = Zone::new()
//!     .a("imap.example.test", [127, 0, 0, 1].into())
//!     .mx("example.test", 10, "aspmx.l.google.com")
//!     .srv("_imaps._tcp.example.test", 0, 1, 31993, "localhost");
//! let dns = DnsServer::start(zone)?;
//! // Point a resolver at dns.addr().
//! # Ok(()) }
//! ```

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use hickory_server::proto::rr::rdata::{A, AAAA, MX, SOA, SRV};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use hickory_server::Server;

const TTL: u32 = 60;

/// The records to serve.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    records: Vec<(String, Rec)>,
}

#[derive(Debug, Clone)]
enum Rec {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Mx(u16, String),
    Srv(u16, u16, u16, String),
}

impl Zone {
    pub fn new() -> Zone {
        Zone::default()
    }

    pub fn a(mut self, name: &str, ip: Ipv4Addr) -> Zone {
        self.records.push((name.to_string(), Rec::A(ip)));
        self
    }

    pub fn aaaa(mut self, name: &str, ip: Ipv6Addr) -> Zone {
        self.records.push((name.to_string(), Rec::Aaaa(ip)));
        self
    }

    /// `exchange` may be any name (it need not resolve).
    pub fn mx(mut self, domain: &str, preference: u16, exchange: &str) -> Zone {
        self.records.push((
            domain.to_string(),
            Rec::Mx(preference, exchange.to_string()),
        ));
        self
    }

    /// `name` is the full owner name (`_imaps._tcp.example.test`); a `target` of `.` says the
    /// service is not offered.
    pub fn srv(mut self, name: &str, priority: u16, weight: u16, port: u16, target: &str) -> Zone {
        self.records.push((
            name.to_string(),
            Rec::Srv(priority, weight, port, target.to_string()),
        ));
        self
    }
}

impl Rec {
    fn rdata(&self) -> Result<RData> {
        Ok(match self {
            Rec::A(ip) => RData::A(A(*ip)),
            Rec::Aaaa(ip) => RData::AAAA(AAAA(*ip)),
            Rec::Mx(preference, exchange) => RData::MX(MX::new(*preference, parse_name(exchange)?)),
            Rec::Srv(priority, weight, port, target) => {
                RData::SRV(SRV::new(*priority, *weight, *port, parse_name(target)?))
            }
        })
    }
}

fn parse_name(name: &str) -> Result<Name> {
    if name == "." {
        return Ok(Name::root());
    }
    let text = if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    };
    Name::from_str(&text).map_err(|e| anyhow!("{name:?} is not a DNS name: {e}"))
}

/// A running DNS server; stops when dropped.
#[derive(Debug)]
pub struct DnsServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DnsServer {
    /// Starts serving `zone` on a free port of 127.0.0.1 (UDP and TCP), on its own thread, so it
    /// works from any test, async or not.
    pub fn start(zone: Zone) -> Result<DnsServer> {
        let mut handler: InMemoryZoneHandler =
            InMemoryZoneHandler::empty(Name::root(), ZoneType::Primary, AxfrPolicy::Deny);
        let soa = SOA::new(
            parse_name("ns.petrel.test")?,
            parse_name("hostmaster.petrel.test")?,
            1,
            3600,
            600,
            86400,
            // Negative answers may be cached this long (seconds).
            1,
        );
        if !handler.upsert_mut(Record::from_rdata(Name::root(), TTL, RData::SOA(soa)), 1) {
            return Err(anyhow!("the test zone refused its SOA record"));
        }
        for (name, data) in zone.records {
            let record = Record::from_rdata(parse_name(&name)?, TTL, data.rdata()?);
            if !handler.upsert_mut(record, 1) {
                return Err(anyhow!("the test zone refused the record for {name}"));
            }
        }
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::from(Name::root()), vec![Arc::new(handler)]);

        let (udp, tcp) = bind_pair().context("binding the test DNS server")?;
        let addr = udp.local_addr().context("the test DNS server's address")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<()>>();
        let thread = std::thread::Builder::new()
            .name("petrel-test-dns".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
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
                    let sockets = (|| -> Result<_> {
                        udp.set_nonblocking(true)?;
                        tcp.set_nonblocking(true)?;
                        Ok((
                            tokio::net::UdpSocket::from_std(udp)?,
                            tokio::net::TcpListener::from_std(tcp)?,
                        ))
                    })();
                    let (udp, tcp) = match sockets {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let mut server = Server::new(catalog);
                    server.register_socket(udp);
                    server.register_listener(tcp, Duration::from_secs(5), 4096);
                    let _ = ready_tx.send(Ok(()));
                    let _ = stopped.await;
                    let _ = server.shutdown_gracefully().await;
                });
            })
            .context("starting the test DNS server's thread")?;
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| anyhow!("the test DNS server did not start"))??;
        Ok(DnsServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A UDP socket and a TCP listener on the same free port of 127.0.0.1.
fn bind_pair() -> Result<(std::net::UdpSocket, std::net::TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = udp.local_addr()?.port();
        match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(anyhow!(
        "no port free for both UDP and TCP: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}
