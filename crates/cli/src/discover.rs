//! `petrel account discover ADDRESS`: runs discovery and prints what each source did, what was
//! found and from where. Progress goes to standard error, the result to standard output.

use anyhow::{bail, Result};
use petrel_engine::discovery::{Discovery, PortMap};
use petrel_engine::model::{
    AuthMethod, DiscoveryOutcome, DiscoveryProgress, DiscoverySource, DiscoveryState, Protocol,
    ServerConfig,
};

use crate::{plain, DiscoverArgs};

fn source_label(s: DiscoverySource) -> &'static str {
    match s {
        DiscoverySource::Provider => "provider list",
        DiscoverySource::Autoconfig => "autoconfig (HTTPS)",
        DiscoverySource::Srv => "DNS SRV records",
        DiscoverySource::Mx => "MX records",
        DiscoverySource::AutoconfigHttp => "autoconfig (plain HTTP)",
        DiscoverySource::Guess => "guessing",
    }
}

fn state_label(s: DiscoveryState) -> &'static str {
    match s {
        DiscoveryState::Looking => "looking…",
        DiscoveryState::Found => "found",
        DiscoveryState::NotFound => "not found",
        DiscoveryState::Failed => "failed",
        DiscoveryState::Skipped => "skipped",
    }
}

fn progress_line(p: &DiscoveryProgress) -> String {
    let mut line = format!("  {:<24} {}", source_label(p.source), state_label(p.state));
    if let Some(d) = &p.detail {
        line.push_str(": ");
        line.push_str(d);
    }
    line
}

fn server_line(s: &ServerConfig) -> String {
    let protocol = match s.protocol {
        Protocol::Imap => "IMAP",
        Protocol::Pop3 => "POP3",
        Protocol::Smtp => "SMTP",
    };
    let auth = match s.auth {
        AuthMethod::Password => "password",
        AuthMethod::OAuth2 => "sign-in with the provider (OAuth2)",
    };
    format!(
        "{protocol} {}:{} ({}), user name {}, {auth}",
        s.host,
        s.port,
        s.security.as_str(),
        s.username
    )
}

fn print_outcome(o: &DiscoveryOutcome) {
    println!("{}", o.summary);
    if let Some(c) = &o.config {
        if let Some(p) = &c.provider {
            println!("  Provider:  {p}");
        }
        for (i, s) in c.incoming.iter().enumerate() {
            let label = if i == 0 { "Incoming:" } else { "  or:" };
            println!("  {label:<10} {}", server_line(s));
        }
        for (i, s) in c.outgoing.iter().enumerate() {
            let label = if i == 0 { "Outgoing:" } else { "  or:" };
            println!("  {label:<10} {}", server_line(s));
        }
        if !c.trusted {
            println!("  Check these settings before using them: they were not received securely or use no encryption.");
        }
        for n in &c.notes {
            println!("  Note:      {n}");
        }
        if let Some(u) = &c.help_url {
            println!("  Help:      {u}");
        }
    }
    if !o.problems.is_empty() {
        println!("Servers seen but not used:");
        for p in &o.problems {
            println!("  {}:{}: {}", p.host, p.port, p.detail);
        }
    }
    println!("({} ms)", o.elapsed_ms);
}

pub async fn run(args: &DiscoverArgs, json: bool) -> Result<()> {
    let mut discovery = Discovery::system().map_err(plain)?;
    if let Some(server) = args.dns_server {
        discovery = discovery.with_nameserver(server);
    }
    if let Some(ports) = &args.probe_ports {
        discovery = discovery.with_port_map(PortMap::parse(ports).map_err(plain)?);
    }
    if args.https_port.is_some() || args.http_port.is_some() {
        discovery = discovery.with_web_ports(args.https_port, args.http_port);
    }
    eprintln!("Looking up settings for {}…", args.email.trim());
    let outcome = discovery
        .discover(&args.email, &|p: &DiscoveryProgress| {
            // "looking" lines are noise once the answer lines follow; print the ends only.
            if p.state != DiscoveryState::Looking {
                eprintln!("{}", progress_line(p));
            }
        })
        .await
        .map_err(plain)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print_outcome(&outcome);
    }
    if outcome.config.is_none() {
        bail!("no settings found for {}", outcome.email);
    }
    Ok(())
}
