//! Desktop notifications end to end, on this machine: a private D-Bus session where this test
//! answers as the desktop's notification service (`org.freedesktop.Notifications`, recording
//! every `Notify` call), the engine's background sync (IDLE) with the [`Notifier`] and the real
//! notify-rust [`DesktopSender`], and mail delivered through the local Postfix.
//!
//! Asserts: nothing is announced for the initial sync; a message delivered by SMTP is announced
//! with its sender and subject within 3 s; clicking it (the service's `ActionInvoked`) opens that
//! message. Prints the delivery-to-notification latency of several deliveries
//! (`cargo test -p petrel-engine --test notifications -- --nocapture`).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use petrel_engine::model::{EngineEvent, NotificationSettings, OpenTarget};
use petrel_engine::notify::{DesktopSender, Notifier};
use petrel_engine::SyncConfig;
use petrel_testkit::corpus;
use tokio::sync::mpsc;
use zbus::object_server::SignalEmitter;
use zbus::OwnedVariant;

/// One `Notify` call as the service received it.
#[derive(Debug, Clone)]
struct Recorded {
    at: Instant,
    id: u32,
    app_name: String,
    summary: String,
    body: String,
    actions: Vec<String>,
    hints: Vec<String>,
}

struct Service {
    calls: mpsc::UnboundedSender<Recorded>,
    next_id: u32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Service {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        self.next_id += 1;
        let mut hints: Vec<String> = hints.into_keys().collect();
        hints.sort();
        let _ = self.calls.send(Recorded {
            at: Instant::now(),
            id: self.next_id,
            app_name,
            summary,
            body,
            actions,
            hints,
        });
        self.next_id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into(), "sound".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "petrel-test".into(),
            "petrel".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}

/// A private session bus (no service files: nothing starts on it by itself), stopped on drop.
struct Bus {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Bus {
    fn start() -> Bus {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().display()
            ),
        )
        .expect("bus config");
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (install dbus-daemon: scripts/deps-test.sh)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the bus address");
        Bus {
            child,
            address: line.trim().to_string(),
            _dir: dir,
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn next_notice(
    calls: &mut mpsc::UnboundedReceiver<Recorded>,
    limit: Duration,
) -> Option<Recorded> {
    tokio::time::timeout(limit, calls.recv())
        .await
        .ok()
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_mail_is_announced_within_three_seconds_and_the_initial_sync_is_not() {
    let bus = Bus::start();
    // notify-rust talks to the session bus named here; this test binary has only this test.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let (tx, mut calls) = mpsc::unbounded_channel();
    let service = zbus::connection::Builder::address(bus.address.as_str())
        .name("org.freedesktop.Notifications")
        .serve_at(
            "/org/freedesktop/Notifications",
            Service {
                calls: tx,
                next_id: 0,
            },
        )
        .build()
        .await
        .expect("the notification service on the private bus");

    // Mail that is already there when the account is added: the initial sync.
    let servers = common::servers();
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = common::open_engine(dir.path());
    let user = servers.new_user("notify").expect("user");
    servers
        .fill_mailbox(
            &user.email,
            "INBOX",
            &corpus::generate(5, 3, &servers.domain),
        )
        .expect("fill");
    let account = engine
        .add_account(common::tls_account(servers, &user, "Work"))
        .await
        .expect("account");

    let (opened_tx, mut opened) = mpsc::unbounded_channel::<OpenTarget>();
    let sender = DesktopSender::new("Petrel", "mail-unread")
        .desktop_entry("petrel-app")
        .on_open(move |t| {
            let _ = opened_tx.send(t);
        });
    let _notifier = Notifier::start(&engine, Arc::new(sender));
    let mut events = engine.subscribe();
    let background = engine
        .start_background_with(SyncConfig {
            poll_every: Duration::from_secs(600),
            ..SyncConfig::default()
        })
        .expect("background sync");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::SyncDone { account_id })) if account_id == account.id => break,
            Ok(Ok(EngineEvent::AccountError { error, .. })) => panic!("sync failed: {error:?}"),
            Ok(_) => {}
            Err(_) => panic!("the first background sync did not finish"),
        }
    }
    // Let the push connection finish its INBOX sync and enter IDLE.
    tokio::time::sleep(Duration::from_secs(2)).await;
    if let Some(n) = next_notice(&mut calls, Duration::from_millis(100)).await {
        panic!("a notification for the initial sync: {n:?}");
    }

    // When the engine announces NewMail, to tell the sync's share of the latency from the
    // notifier's (which downloads the body for the preview).
    let (new_mail_tx, mut new_mail_at) = mpsc::unbounded_channel();
    let mut new_mail_events = engine.subscribe();
    tokio::spawn(async move {
        while let Ok(e) = new_mail_events.recv().await {
            if matches!(e, EngineEvent::NewMail { .. }) && new_mail_tx.send(Instant::now()).is_err()
            {
                break;
            }
        }
    });

    // Deliveries through Postfix (SMTP → LMTP → Dovecot → IDLE → sync → notification).
    let mut latencies = Vec::new();
    let mut to_event = Vec::new();
    for i in 0..5 {
        let subject = format!("Quarterly figures {i}");
        let raw = corpus::simple(
            &subject,
            "Ada Lovelace <ada@petrel.test>",
            &user.email,
            "The numbers are in & they look good.\r\n",
        );
        let sent = Instant::now();
        servers
            .send_smtp_plain("ada@petrel.test", &user.email, &raw)
            .expect("delivery through Postfix");
        let notice = next_notice(&mut calls, Duration::from_secs(3))
            .await
            .unwrap_or_else(|| panic!("no notification within 3 s of delivering “{subject}”"));
        let latency = notice.at.duration_since(sent);
        assert!(latency < Duration::from_secs(3), "{latency:?}");
        assert_eq!(notice.app_name, "Petrel");
        assert_eq!(notice.summary, "Ada Lovelace");
        assert!(notice.body.starts_with(&subject), "{notice:?}");
        assert!(
            notice
                .body
                .contains("The numbers are in &amp; they look good."),
            "a preview, escaped for the service's markup: {notice:?}"
        );
        assert_eq!(notice.actions, ["default", "Open"]);
        assert_eq!(
            notice.hints,
            ["category", "desktop-entry", "sound-name"],
            "{notice:?}"
        );
        latencies.push(latency);
        let event_at = new_mail_at
            .try_recv()
            .expect("a NewMail event before the notification");
        to_event.push(event_at.duration_since(sent));

        if i == 0 {
            // The user clicks it: the message is opened.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let iface = service
                .object_server()
                .interface::<_, Service>("/org/freedesktop/Notifications")
                .await
                .expect("interface");
            Service::action_invoked(iface.signal_emitter(), notice.id, "default")
                .await
                .expect("ActionInvoked");
            let target = tokio::time::timeout(Duration::from_secs(3), opened.recv())
                .await
                .expect("the click reached the app")
                .expect("target");
            assert_eq!(target.account_id, account.id);
            let message_id = target.message_id.expect("a message");
            let summary = engine
                .store()
                .message_summaries(&[message_id])
                .expect("store")
                .pop()
                .expect("the message");
            assert_eq!(summary.subject, subject);
        }
    }
    // Nothing else was announced (one notice per delivery).
    assert!(next_notice(&mut calls, Duration::from_millis(500))
        .await
        .is_none());

    // The INBOX muted in the stored settings: its new mail is no longer announced.
    let inbox = engine
        .folders(account.id)
        .expect("folders")
        .into_iter()
        .find(|f| f.path == "INBOX")
        .expect("INBOX");
    let mut settings = engine
        .store()
        .notification_settings(account.id)
        .expect("settings");
    assert_eq!(settings, NotificationSettings::default());
    settings.muted_folders = vec![inbox.id];
    engine
        .store()
        .set_notification_settings(account.id, &settings)
        .expect("save settings");
    assert_eq!(
        engine
            .store()
            .notification_settings(account.id)
            .expect("settings"),
        settings
    );
    let raw = corpus::simple("Muted", "Ada <ada@petrel.test>", &user.email, "x\r\n");
    servers
        .send_smtp_plain("ada@petrel.test", &user.email, &raw)
        .expect("delivery through Postfix");
    if let Some(n) = next_notice(&mut calls, Duration::from_secs(3)).await {
        panic!("a notification for a muted folder: {n:?}");
    }
    // The tray's count: every unread message of the INBOX (5 + 5 + the muted one).
    assert_eq!(engine.unread_in_inboxes().expect("unread"), 11);
    background.shutdown().await;

    let report = |what: &str, mut d: Vec<Duration>| {
        d.sort();
        let ms = |d: &Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
        eprintln!(
            "{what} over {} deliveries: min {}, median {}, max {}",
            d.len(),
            ms(&d[0]),
            ms(&d[d.len() / 2]),
            ms(&d[d.len() - 1])
        );
    };
    report("delivery-to-NewMail (engine event)", to_event);
    report("delivery-to-notification latency", latencies);
}
