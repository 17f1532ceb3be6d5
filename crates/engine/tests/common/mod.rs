//! What the engine's integration tests share: an engine on a fresh data folder and an account of
//! a fresh test user on the real Dovecot + Postfix (IMAPS and submissions, TLS verified against
//! the test CA, trusted through `SSL_CERT_FILE`). Each test binary uses part of it.
#![allow(dead_code)]

use petrel_engine::engine::server;
use petrel_engine::model::{
    Account, FolderRole, IncomingProtocol, MessageSummary, NewAccount, Pop3Settings, Security,
};
use petrel_engine::secrets::Secrets;
use petrel_engine::store::FolderState;
use petrel_engine::Engine;
use petrel_testkit::{corpus, Servers, TestUser};

/// The shared test servers, with their CA trusted by this process.
pub fn servers() -> &'static Servers {
    let servers = Servers::shared().expect("test mail servers");
    std::env::set_var("SSL_CERT_FILE", &servers.ca_file);
    servers
}

/// A fresh user of the shared servers with `n` corpus messages (seed `seed`) in the INBOX.
pub fn user_with_mail(prefix: &str, n: usize, seed: u64) -> (&'static Servers, TestUser) {
    let servers = servers();
    let user = servers.new_user(prefix).expect("user");
    if n > 0 {
        servers
            .fill_mailbox(
                &user.email,
                "INBOX",
                &corpus::generate(n, seed, &servers.domain),
            )
            .expect("fill");
    }
    (servers, user)
}

/// An engine on `dir`, passwords in a file there.
pub fn open_engine(dir: &std::path::Path) -> Engine {
    Engine::open(dir, Secrets::file(dir.join("secrets.json"))).expect("engine")
}

/// The account of `user` over IMAPS and submissions (implicit TLS).
pub fn tls_account(servers: &Servers, user: &TestUser, display_name: &str) -> NewAccount {
    NewAccount {
        display_name: display_name.into(),
        email: user.email.clone(),
        password: user.password.clone(),
        protocol: IncomingProtocol::Imap,
        pop3: None,
        incoming: server(
            &servers.host,
            Some(servers.imaps_port),
            Security::Tls,
            &user.email,
            true,
        ),
        smtp: server(
            &servers.host,
            Some(servers.submissions_port),
            Security::Tls,
            &user.email,
            false,
        ),
    }
}

/// The POP3 account of `user`: POP3S with `Security::Tls`, else the POP3 port (STLS or plain);
/// sending over submissions.
pub fn pop3_account(
    s: &Servers,
    user: &TestUser,
    security: Security,
    p: Pop3Settings,
) -> NewAccount {
    let port = match security {
        Security::Tls => s.pop3s_port,
        _ => s.pop3_port,
    };
    NewAccount {
        display_name: "Pop".into(),
        email: user.email.clone(),
        password: user.password.clone(),
        protocol: IncomingProtocol::Pop3,
        incoming: server(&s.host, Some(port), security, &user.email, true),
        smtp: server(
            &s.host,
            Some(s.submissions_port),
            Security::Tls,
            &user.email,
            false,
        ),
        pop3: Some(p),
    }
}

pub struct Setup {
    pub servers: &'static Servers,
    pub dir: tempfile::TempDir,
    pub engine: Engine,
    pub user: TestUser,
    pub account: Account,
}

/// A fresh user with `n` corpus messages (seed 7) in the INBOX, added as an account and synced
/// once.
pub async fn setup(prefix: &str, display_name: &str, n: usize) -> Setup {
    let (servers, user) = user_with_mail(prefix, n, 7);
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = open_engine(dir.path());
    let account = engine
        .add_account(tls_account(servers, &user, display_name))
        .await
        .expect("account");
    engine.sync_account(account.id).await.expect("first sync");
    Setup {
        servers,
        dir,
        engine,
        user,
        account,
    }
}

impl Setup {
    /// The account's folder with `role`, as the store has it.
    pub fn folder_with_role(&self, role: FolderRole) -> FolderState {
        self.engine
            .store()
            .folder_by_role(self.account.id, role)
            .expect("store")
            .unwrap_or_else(|| panic!("a {role:?} folder"))
    }

    /// The first `limit` messages of the folder with `role`, as the store lists them.
    pub fn listed(&self, role: FolderRole, limit: u32) -> Vec<MessageSummary> {
        self.engine
            .messages(self.folder_with_role(role).id, 0, limit)
            .expect("list")
            .items
    }
}
