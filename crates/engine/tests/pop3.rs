//! The POP3 client against the real Dovecot (petrel-testkit) on the STLS port and on POP3S, with
//! TLS verified against the test CA; and against a scripted server for the refusals Dovecot does
//! not give as configured ([IN-USE] needs `pop3_lock_session = yes`; ours has the default, no).

use petrel_engine::engine::server;
use petrel_engine::model::{ErrorKind, Security, ServerSettings};
use petrel_engine::net::Tls;
use petrel_engine::pop3::{Client, LoginMethod, Options};
use petrel_engine::Error;
use petrel_testkit::{corpus, Servers, TestUser};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn servers() -> &'static Servers {
    let servers = Servers::shared().expect("test mail servers");
    // Trust the test CA the way a user's system would: through the system bundle variable.
    std::env::set_var("SSL_CERT_FILE", &servers.ca_file);
    servers
}

fn settings(s: &Servers, user: &TestUser, security: Security) -> ServerSettings {
    let port = match security {
        Security::Tls => s.pop3s_port,
        _ => s.pop3_port,
    };
    server(&s.host, Some(port), security, &user.email, true)
}

fn lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}

/// A mailbox with generated mail and one message whose lines start with dots.
fn filled(s: &Servers, prefix: &str) -> (TestUser, Vec<Vec<u8>>) {
    let user = s.new_user(prefix).unwrap();
    let mut msgs = corpus::generate(12, 5, &s.domain);
    msgs.push(corpus::simple(
        "Dots",
        "Sender <sender@petrel.test>",
        &user.email,
        ".leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n",
    ));
    s.fill_mailbox(&user.email, "INBOX", &msgs).unwrap();
    (user, msgs)
}

async fn session_lists_retrieves_and_deletes(security: Security) {
    let s = servers();
    let tls = Tls::platform().unwrap();
    let (user, msgs) = filled(s, "pop3");
    let settings = settings(s, &user, security);
    let n = msgs.len() as u32;

    let mut pop = Client::connect(&tls, &settings, &user.password)
        .await
        .unwrap();
    assert!(pop.capabilities().uidl && pop.capabilities().top);
    assert_eq!(pop.login_method(), LoginMethod::SaslPlain);

    let stat = pop.stat().await.unwrap();
    assert_eq!(stat.count, n);
    let list = pop.list().await.unwrap();
    assert_eq!(
        list.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>()
    );
    assert_eq!(list.iter().map(|(_, size)| size).sum::<u64>(), stat.size);
    assert_eq!(pop.list_one(2).await.unwrap(), list[1].1);

    let uidl = pop.uidl().await.unwrap();
    assert_eq!(uidl.len(), n as usize);
    let unique: std::collections::BTreeSet<_> = uidl.iter().map(|(_, u)| u.clone()).collect();
    assert_eq!(unique.len(), uidl.len(), "UIDs are unique");
    assert_eq!(pop.uidl_one(3).await.unwrap(), uidl[2].1);

    for (i, stored) in msgs.iter().enumerate() {
        let got = pop.retr(i as u32 + 1).await.unwrap();
        assert_eq!(lf(&got), lf(stored), "message {}", i + 1);
        assert_eq!(got.len() as u64, list[i].1, "LIST size of {}", i + 1);
    }

    // TOP n 0: the header and the empty line after it.
    let top = pop.top(1, 0).await.unwrap();
    let stored = lf(&msgs[0]);
    let header_end = stored.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    assert_eq!(lf(&top), &stored[..header_end]);

    // Marked messages are listed no more, and RSET brings them back.
    pop.dele(1).await.unwrap();
    assert_eq!(pop.stat().await.unwrap().count, n - 1);
    pop.rset().await.unwrap();
    assert_eq!(pop.stat().await.unwrap().count, n);

    // A session that ends without QUIT deletes nothing.
    pop.dele(1).await.unwrap();
    drop(pop);
    let mut pop = Client::connect(&tls, &settings, &user.password)
        .await
        .unwrap();
    assert_eq!(pop.stat().await.unwrap().count, n);

    // DELE + QUIT deletes for real.
    pop.dele(1).await.unwrap();
    pop.dele(n).await.unwrap();
    pop.noop().await.unwrap();
    pop.quit().await.unwrap();
    let mut pop = Client::connect(&tls, &settings, &user.password)
        .await
        .unwrap();
    assert_eq!(pop.stat().await.unwrap().count, n - 2);
    let left: Vec<String> = pop
        .uidl()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    assert_eq!(
        left,
        uidl[1..n as usize - 1]
            .iter()
            .map(|(_, u)| u.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(lf(&pop.retr(1).await.unwrap()), lf(&msgs[1]));
    pop.quit().await.unwrap();
    assert_eq!(s.message_count(&user.email, "INBOX").unwrap(), n - 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stls_session_lists_retrieves_and_deletes() {
    session_lists_retrieves_and_deletes(Security::Starttls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop3s_session_lists_retrieves_and_deletes() {
    session_lists_retrieves_and_deletes(Security::Tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_cap_is_an_error_and_ends_the_session() {
    let s = servers();
    let tls = Tls::platform().unwrap();
    let (user, _) = filled(s, "pop3cap");
    let options = Options {
        max_message: 200,
        ..Options::default()
    };
    let mut pop = Client::connect_with(
        &tls,
        &settings(s, &user, Security::Tls),
        &user.password,
        options,
    )
    .await
    .unwrap();
    let err = pop.retr(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.to_string().contains("larger than 200 bytes"), "{err}");
    // The rest of that message is still on the wire: nothing more is asked on this session.
    let err = pop.noop().await.unwrap_err();
    assert!(
        err.to_string().contains("given up after an earlier error"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_auth_failed_in_plain_words() {
    let s = servers();
    let tls = Tls::platform().unwrap();
    let user = s.new_user("pop3pw").unwrap();
    for security in [Security::Starttls, Security::Tls] {
        let err = Client::connect(&tls, &settings(s, &user, security), "not the password")
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::AuthFailed { .. }),
            "{security:?}: {err:?}"
        );
        let user_error = err.to_user();
        assert_eq!(user_error.kind, ErrorKind::AuthFailed);
        assert!(
            user_error
                .summary
                .contains("did not accept the user name or password"),
            "{}",
            user_error.summary
        );
        assert!(
            !user_error.detail.contains("not the password"),
            "{}",
            user_error.detail
        );
    }
}

/// What a scripted server read from the client, line by line.
type Heard = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A one-connection POP3 server that answers each line it reads with the next scripted reply,
/// and keeps the lines it read.
async fn scripted(greeting: &'static str, replies: Vec<&'static str>) -> (u16, Heard) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heard = Heard::default();
    let log = heard.clone();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (read, mut write) = sock.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(greeting.as_bytes()).await.unwrap();
        for reply in replies {
            match lines.next_line().await {
                Ok(Some(line)) => log.lock().unwrap().push(line),
                _ => return,
            }
            if write.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
        // Keep listening, so that anything sent afterwards is heard too.
        while let Ok(Some(line)) = lines.next_line().await {
            log.lock().unwrap().push(line);
        }
    });
    (port, heard)
}

fn heard(h: &Heard) -> Vec<String> {
    h.lock().unwrap().clone()
}

fn local(port: u16, security: Security) -> ServerSettings {
    server("127.0.0.1", Some(port), security, "someone", true)
}

const CAPA: &str = "+OK\r\nUSER\r\nUIDL\r\n.\r\n";

#[tokio::test]
async fn in_use_says_another_program_is_downloading() {
    let tls = Tls::platform().unwrap();
    let (port, _) = scripted(
        "+OK ready\r\n",
        vec![
            CAPA,
            "+OK\r\n",
            "-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n",
        ],
    )
    .await;
    let err = Client::connect(&tls, &local(port, Security::Plain), "pw")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MailboxInUse { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::TryLater);
    let summary = err.to_user().summary;
    assert!(summary.contains("Another program is downloading mail from this mailbox right now"));
    assert!(summary.contains("Try again in a minute"));
}

#[tokio::test]
async fn sys_temp_and_login_delay_are_temporary() {
    let tls = Tls::platform().unwrap();
    for refusal in [
        "-ERR [SYS/TEMP] Disk is full, try later\r\n",
        "-ERR [LOGIN-DELAY] Wait 15 minutes between logins\r\n",
    ] {
        let (port, _) = scripted("+OK ready\r\n", vec![CAPA, "+OK\r\n", refusal]).await;
        let err = Client::connect(&tls, &local(port, Security::Plain), "pw")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::TryLater { .. }), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::TryLater);
    }
    // Without a code, a refused password is a wrong password.
    let (port, _) = scripted("+OK ready\r\n", vec![CAPA, "+OK\r\n", "-ERR no\r\n"]).await;
    let err = Client::connect(&tls, &local(port, Security::Plain), "pw")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err:?}");
}

#[tokio::test]
async fn stls_refused_is_no_starttls_and_nothing_more_is_sent() {
    let tls = Tls::platform().unwrap();
    let (port, h) = scripted(
        "+OK ready <1.2@host>\r\n",
        vec!["-ERR unknown command\r\n", "+OK\r\n", "+OK\r\n"],
    )
    .await;
    let err = Client::connect(&tls, &local(port, Security::Starttls), "pw")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoStarttls { .. }), "{err:?}");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(heard(&h), vec!["STLS"]);
}

#[tokio::test]
async fn user_pass_without_sasl_and_apop_when_asked() {
    let tls = Tls::platform().unwrap();
    // CAPA without SASL PLAIN: USER/PASS (over a connection the user chose to leave plain).
    let (port, h) = scripted(
        "+OK ready\r\n",
        vec![CAPA, "+OK\r\n", "+OK\r\n", "+OK 0 0\r\n"],
    )
    .await;
    let mut pop = Client::connect(&tls, &local(port, Security::Plain), "pw")
        .await
        .unwrap();
    assert_eq!(pop.login_method(), LoginMethod::UserPass);
    assert_eq!(pop.stat().await.unwrap().count, 0);
    assert_eq!(heard(&h), vec!["CAPA", "USER someone", "PASS pw", "STAT"]);

    // A server without CAPA at all (RFC 1939 only) still gets USER/PASS.
    let (port, h) = scripted("+OK ready\r\n", vec!["-ERR what\r\n", "+OK\r\n", "+OK\r\n"]).await;
    let pop = Client::connect(&tls, &local(port, Security::Plain), "pw")
        .await
        .unwrap();
    assert_eq!(pop.login_method(), LoginMethod::UserPass);
    assert_eq!(heard(&h), vec!["CAPA", "USER someone", "PASS pw"]);

    // APOP, when the account asks for it and the greeting offers it: RFC 1939's example.
    let (port, h) = scripted(
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
        vec![CAPA, "+OK maildrop has 1 message (369 octets)\r\n"],
    )
    .await;
    let options = Options {
        apop: true,
        ..Options::default()
    };
    let settings = server("127.0.0.1", Some(port), Security::Plain, "mrose", true);
    let pop = Client::connect_with(&tls, &settings, "tanstaaf", options)
        .await
        .unwrap();
    assert_eq!(pop.login_method(), LoginMethod::Apop);
    assert_eq!(
        heard(&h),
        vec!["CAPA", "APOP mrose c4c9334bac560ecc979e58001b3e22fb"]
    );
}

#[tokio::test]
async fn sasl_plain_with_a_continuation() {
    let tls = Tls::platform().unwrap();
    let (port, h) = scripted(
        "+OK ready\r\n",
        vec!["+OK\r\nSASL PLAIN\r\n.\r\n", "+ \r\n", "+OK logged in\r\n"],
    )
    .await;
    let pop = Client::connect(&tls, &local(port, Security::Plain), "pw")
        .await
        .unwrap();
    assert_eq!(pop.login_method(), LoginMethod::SaslPlain);
    // "\0someone\0pw"
    assert_eq!(
        heard(&h),
        vec!["CAPA", "AUTH PLAIN AHNvbWVvbmUAcHc=", "AHNvbWVvbmUAcHc="]
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let tls = Tls::platform().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    });
    let options = Options {
        timeout: std::time::Duration::from_millis(300),
        ..Options::default()
    };
    let err = Client::connect_with(&tls, &local(port, Security::Plain), "pw", options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_by_explicit_choice_on_loopback() {
    let s = servers();
    let tls = Tls::platform().unwrap();
    let (user, msgs) = filled(s, "pop3plain");
    let mut pop = Client::connect(&tls, &settings(s, &user, Security::Plain), &user.password)
        .await
        .unwrap();
    assert!(pop.capabilities().stls, "Dovecot offers STLS on this port");
    assert_eq!(pop.stat().await.unwrap().count, msgs.len() as u32);
    pop.quit().await.unwrap();
}

#[tokio::test]
async fn pipelined_retrieval_matches_and_a_refusal_in_flight_stops_the_session() {
    let s = servers();
    let tls = Tls::platform().unwrap();
    let (user, msgs) = filled(s, "pop3pipe");
    let settings = settings(s, &user, Security::Tls);
    let mut pop = Client::connect(&tls, &settings, &user.password)
        .await
        .unwrap();
    assert!(pop.capabilities().pipelining, "Dovecot offers PIPELINING");
    // Newest first, as the engine asks: more than one window's worth in flight.
    let order: Vec<u32> = (1..=msgs.len() as u32).rev().collect();
    let mut got = Vec::new();
    let mut retrieval = pop.retr_many(&order);
    while let Some((n, body)) = retrieval.next().await.unwrap() {
        got.push(n);
        assert_eq!(lf(&body), lf(&msgs[n as usize - 1]), "message {n}");
    }
    assert_eq!(got, order);
    // A message that does not exist, in the middle of a pipeline: the one before it arrives,
    // then the refusal, then the session refuses to go on out of step.
    let bad = [1, 999, 2];
    let mut retrieval = pop.retr_many(&bad);
    assert_eq!(retrieval.next().await.unwrap().map(|(n, _)| n), Some(1));
    let e = retrieval.next().await.unwrap_err();
    assert!(e.to_string().contains("RETR 999"), "{e}");
    assert!(retrieval.next().await.is_err());
    assert!(pop.noop().await.is_err(), "the session is given up");
}
