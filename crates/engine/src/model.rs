//! The types that cross the engine's boundary: what the shell hands to the UI and what the UI sends
//! back. They derive `ts_rs::TS`, so `make bindings` writes their TypeScript twins into
//! `ui/src/lib/bindings/` and the two sides cannot drift. Ids are SQLite rowids (`i64`), carried to
//! TypeScript as `number` (they stay far below 2^53).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, POP3S 995, SMTPS/submissions 465).
    Tls,
    /// Plain connect, then STARTTLS (IMAP 143, POP3 110, submission 587). Never skipped.
    Starttls,
    /// No encryption at all. Only with the user's explicit consent.
    Plain,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::Plain => "plain",
        }
    }

    pub fn parse(s: &str) -> Option<Security> {
        match s {
            "tls" => Some(Security::Tls),
            "starttls" => Some(Security::Starttls),
            "plain" => Some(Security::Plain),
            _ => None,
        }
    }
}

/// One server an account talks to (incoming or outgoing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The login name; most providers want the full address.
    pub username: String,
    /// The SHA-256 fingerprint (`AB:CD:…`) of a certificate the user chose to trust for this
    /// server although no trusted authority vouches for it (a self-signed home server). Only that
    /// exact certificate is accepted; everything else is verified as usual.
    pub trusted_cert: Option<String>,
}

/// How an account receives mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum IncomingProtocol {
    /// The mail stays on the server, in its folders; Petrel keeps a synced copy.
    #[default]
    Imap,
    /// Petrel downloads the INBOX into local folders (and may leave a copy on the server).
    Pop3,
}

impl IncomingProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            IncomingProtocol::Imap => "imap",
            IncomingProtocol::Pop3 => "pop3",
        }
    }

    pub fn parse(s: &str) -> Option<IncomingProtocol> {
        match s {
            "imap" => Some(IncomingProtocol::Imap),
            "pop3" => Some(IncomingProtocol::Pop3),
            _ => None,
        }
    }
}

/// What a POP3 account does with the mail on the server, as Thunderbird offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Pop3Settings {
    /// Leave a copy on the server after downloading (the default). Off: each message is deleted
    /// from the server once it is safely stored here.
    pub leave_on_server: bool,
    /// With `leave_on_server`: delete from the server this many days after the download.
    pub delete_after_days: Option<u32>,
    /// With `leave_on_server`: delete from the server once deleted here (moved to the Trash or
    /// deleted for ever).
    pub delete_when_deleted_locally: bool,
    /// Check for new mail every this many minutes (at least 1).
    pub check_every_minutes: u32,
}

impl Default for Pop3Settings {
    fn default() -> Self {
        Pop3Settings {
            leave_on_server: true,
            delete_after_days: None,
            delete_when_deleted_locally: true,
            check_every_minutes: 10,
        }
    }
}

/// What the account form sends. The password goes to the keychain, never to the database.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewAccount {
    pub display_name: String,
    pub email: String,
    pub password: String,
    /// IMAP or POP3; `incoming` is that server.
    pub protocol: IncomingProtocol,
    pub incoming: ServerSettings,
    pub smtp: ServerSettings,
    /// POP3 only (the defaults when absent).
    pub pop3: Option<Pop3Settings>,
}

/// A configured account as the UI sees it (no password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Account {
    #[ts(type = "number")]
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub protocol: IncomingProtocol,
    /// The IMAP or POP3 server, as `protocol` says.
    pub incoming: ServerSettings,
    pub smtp: ServerSettings,
    /// Set for POP3 accounts only.
    pub pop3: Option<Pop3Settings>,
}

/// What a folder is for, from SPECIAL-USE (RFC 6154) or the usual names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum FolderRole {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
    All,
    Flagged,
}

impl FolderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Sent => "sent",
            FolderRole::Drafts => "drafts",
            FolderRole::Trash => "trash",
            FolderRole::Junk => "junk",
            FolderRole::Archive => "archive",
            FolderRole::All => "all",
            FolderRole::Flagged => "flagged",
        }
    }

    pub fn parse(s: &str) -> Option<FolderRole> {
        Some(match s {
            "inbox" => FolderRole::Inbox,
            "sent" => FolderRole::Sent,
            "drafts" => FolderRole::Drafts,
            "trash" => FolderRole::Trash,
            "junk" => FolderRole::Junk,
            "archive" => FolderRole::Archive,
            "all" => FolderRole::All,
            "flagged" => FolderRole::Flagged,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Folder {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub account_id: i64,
    /// The server's full name, e.g. `INBOX` or `Archive/2024`, as the server spells it (names
    /// outside ASCII in IMAP's modified UTF-7, `Entw&APw-rfe`): what is sent back to it.
    pub path: String,
    /// The last path segment, decoded, for display (`Entwürfe`).
    pub name: String,
    /// The hierarchy delimiter between the segments of `path` (`/`, `.`); `None` when flat.
    pub delimiter: Option<String>,
    pub role: Option<FolderRole>,
    pub unread: u32,
    pub total: u32,
    /// Subscribed on the server (other mail programs may show only subscribed folders).
    pub subscribed: bool,
}

/// Which message bodies an account's background sync downloads ahead of time (the rest are
/// downloaded when a message is opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BodyPolicy {
    /// "Keep all mail offline": every body, however old (`prefetch_days` is then ignored).
    pub keep_all_offline: bool,
    /// Otherwise the bodies of messages dated within this many days, in every folder (0: none).
    pub prefetch_days: u32,
    /// Bodies larger than this (bytes) are never downloaded ahead, only when opened.
    pub max_prefetch_bytes: u32,
}

impl Default for BodyPolicy {
    fn default() -> Self {
        BodyPolicy {
            keep_all_offline: false,
            prefetch_days: 30,
            max_prefetch_bytes: 5 << 20,
        }
    }
}

/// A mailbox address with an optional display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

/// One row of the message list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MessageSummary {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub folder_id: i64,
    pub subject: String,
    pub from: Option<Address>,
    /// Seconds since the Unix epoch (the Date header, else the server's INTERNALDATE).
    #[ts(type = "number")]
    pub date: i64,
    pub snippet: String,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub has_attachments: bool,
}

/// A window of a folder's message list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MessagePage {
    pub total: u32,
    pub offset: u32,
    pub items: Vec<MessageSummary>,
}

/// An attachment as listed in the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AttachmentInfo {
    pub filename: String,
    pub mime_type: String,
    pub size: u32,
}

/// A message opened in the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MessageView {
    pub summary: MessageSummary,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub message_id: Option<String>,
    /// The plain-text body (the text part, or text derived from the HTML part).
    pub text: String,
    pub attachments: Vec<AttachmentInfo>,
}

/// What the composer sends (and saves as a draft, and gets back from the outbox by undo).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)] // outbox rows stored before a field existed still read back
#[ts(export)]
pub struct OutgoingMessage {
    #[ts(type = "number")]
    pub account_id: i64,
    /// Who it is sent as (an [`Identity`] of `account_id`); `None`: the account's default identity.
    #[ts(type = "number | null")]
    pub identity_id: Option<i64>,
    /// Recipients as typed: `a@example.org, "Bo" <bo@example.org>`.
    pub to: String,
    pub cc: String,
    /// Blind copies: in the envelope only, never in the headers of the message sent (kept in the
    /// draft's headers, as other clients do, so that a reopened draft has them).
    pub bcc: String,
    pub subject: String,
    /// The text as typed in plain-text mode. With `html`, the plain-text part is derived from the
    /// HTML when the message is built, and this is only what the composer last showed.
    pub body: String,
    /// The body written as rich text (the editor's HTML): sent as multipart/alternative with a
    /// faithful plain-text part. `None`: plain text only.
    pub html: Option<String>,
    /// Files attached (staged in the store), and inline images (`content_id` set, shown in `html`
    /// as `cid:`).
    pub attachments: Vec<ComposeAttachment>,
    /// The stored message this one answers, for In-Reply-To and References.
    #[ts(type = "number | null")]
    pub in_reply_to: Option<i64>,
    /// The stored message this one forwards (inline or attached), marked `$Forwarded` once sent.
    #[ts(type = "number | null")]
    pub forwarded: Option<i64>,
}

/// A file attached in the composer. Its bytes are staged in the store (`Engine::stage_attachment`)
/// from the moment it is attached, so that neither drafts nor the outbox depend on the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ComposeAttachment {
    /// The staged copy's id.
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub mime_type: String,
    /// Bytes, before any transfer encoding.
    #[ts(type = "number")]
    pub size: u64,
    /// Set for an inline image: the `cid:` the HTML body refers to it by (without `<>`).
    pub content_id: Option<String>,
}

/// Who the user sends as: each account has its own address as default identity, and may have
/// more (aliases), each with its name, signature and preferred format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Identity {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub account_id: i64,
    pub name: String,
    pub email: String,
    /// Plain text, put under new messages, replies and forwards after a "-- " line.
    pub signature: String,
    /// Compose rich text (HTML + a plain-text part); off: plain text only.
    pub rich_text: bool,
    /// The account's own address: always there, never deleted.
    pub is_default: bool,
}

/// How the composer is opened from a stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ComposeMode {
    /// To the sender (its Reply-To when it has one).
    Reply,
    /// To the sender and everyone else it went to, without the user's own addresses.
    ReplyAll,
    /// The original quoted in the body, its attachments attached again.
    Forward,
    /// The original attached whole, as `message/rfc822`.
    ForwardAsAttachment,
}

/// A draft reopened from the Drafts folder: its fields, and the composer's draft id when it is
/// one of Petrel's own drafts still known to the store (the next save replaces it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OpenedDraft {
    pub message: OutgoingMessage,
    #[ts(type = "number | null")]
    pub draft_id: Option<i64>,
}

/// Where a message in the outbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum OutboxState {
    /// Waiting: for the undo delay to pass (`send_after`), or for the next attempt after a
    /// passing failure (`reason` then says what failed).
    Queued,
    /// Being handed to the outgoing server right now.
    Sending,
    /// The server refused it for good; `reason` says why. It stays until the user sends it again
    /// or deletes it.
    Failed,
    /// Accepted by the server; its copy for the Sent folder is being filed.
    Sent,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Failed => "failed",
            OutboxState::Sent => "sent",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxState> {
        Some(match s {
            "queued" => OutboxState::Queued,
            "sending" => OutboxState::Sending,
            "failed" => OutboxState::Failed,
            "sent" => OutboxState::Sent,
            _ => return None,
        })
    }
}

/// A message in the outbox: sent by the user, not yet accepted by the outgoing server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OutboxMessage {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub account_id: i64,
    pub subject: String,
    /// The envelope's recipients (To and Cc).
    pub recipients: Vec<String>,
    pub state: OutboxState,
    /// How many times sending was tried.
    pub attempts: u32,
    /// Why the last attempt failed, in plain words (a refusal for `failed`, a passing problem
    /// for `queued`).
    pub reason: Option<String>,
    /// The technical detail behind `reason` (the server's own words).
    pub detail: Option<String>,
    /// Until then (milliseconds since the Unix epoch) the user can still take it back.
    #[ts(type = "number")]
    pub send_after: i64,
    /// When the next attempt is due (milliseconds since the Unix epoch); `None` unless queued.
    #[ts(type = "number | null")]
    pub next_attempt: Option<i64>,
    /// When the user sent it (milliseconds since the Unix epoch).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// Events the engine emits; the shell forwards them to the window as `petrel://event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type")]
#[ts(export)]
pub enum EngineEvent {
    /// Sync progress of one folder: `done` of `total` messages stored. `folder` is its path for
    /// display (decoded from modified UTF-7).
    SyncProgress {
        #[ts(type = "number")]
        account_id: i64,
        folder: String,
        done: u32,
        total: u32,
    },
    /// A folder's contents or counts changed; lists showing it should reload.
    FolderChanged {
        #[ts(type = "number")]
        account_id: i64,
        #[ts(type = "number")]
        folder_id: i64,
    },
    /// The folder list of an account changed.
    FoldersChanged {
        #[ts(type = "number")]
        account_id: i64,
    },
    /// New messages arrived after the initial sync.
    NewMail {
        #[ts(type = "number")]
        account_id: i64,
        #[ts(type = "number")]
        folder_id: i64,
        messages: Vec<MessageSummary>,
    },
    /// Something went wrong with an account, in plain words.
    AccountError {
        #[ts(type = "number")]
        account_id: i64,
        error: UserError,
    },
    /// A sync pass finished.
    SyncDone {
        #[ts(type = "number")]
        account_id: i64,
    },
    /// The account's outbox changed (a message queued, taken back, sent, failed or deleted).
    OutboxChanged {
        #[ts(type = "number")]
        account_id: i64,
    },
}

/// An account's desktop notification settings (Settings → Notifications).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NotificationSettings {
    /// Notify about new mail of this account at all.
    pub enabled: bool,
    /// Show the first words of the message (off: sender and subject only, for privacy).
    pub show_preview: bool,
    /// Ask the desktop to play its new-mail sound.
    pub sound: bool,
    /// Folders whose new mail is not announced (Junk, Trash, Sent and Drafts never are).
    #[ts(type = "Array<number>")]
    pub muted_folders: Vec<i64>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            enabled: true,
            show_preview: true,
            sound: true,
            muted_folders: Vec::new(),
        }
    }
}

/// Settings of the app rather than of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AppSettings {
    /// Closing the window hides it: Petrel keeps syncing and notifying from the tray. Off by
    /// default on Linux and Windows, where closing a mail client's window quits it (Thunderbird)
    /// and some desktops show no tray to come back from; on by default on macOS, where Mail
    /// keeps running when its window is closed.
    pub close_to_tray: bool,
}

/// See [`AppSettings::close_to_tray`].
pub const CLOSE_TO_TRAY_BY_DEFAULT: bool = cfg!(target_os = "macos");

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            close_to_tray: CLOSE_TO_TRAY_BY_DEFAULT,
        }
    }
}

/// What a clicked notification opens: the message, or the folder for a grouped one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OpenTarget {
    #[ts(type = "number")]
    pub account_id: i64,
    #[ts(type = "number")]
    pub folder_id: i64,
    #[ts(type = "number | null")]
    pub message_id: Option<i64>,
}

/// What kind of failure, so the UI can pick an icon or an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorKind {
    HostNotFound,
    ConnectionRefused,
    Timeout,
    Tls,
    CertificateNotTrusted,
    NoEncryption,
    AuthFailed,
    Protocol,
    Keychain,
    Storage,
    InvalidInput,
    NotFound,
    SendRejected,
    /// The server is busy or has a passing problem (POP3 `[IN-USE]`, `[SYS/TEMP]`,
    /// `[LOGIN-DELAY]`): the same thing will likely work later, nothing needs changing.
    TryLater,
    /// Undo send asked for after the undo time, or once sending started.
    TooLate,
    Internal,
}

/// An error as a person reads it: a one-line `summary` they can act on, and `detail` for support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserError {
    pub kind: ErrorKind,
    pub summary: String,
    pub detail: String,
    /// For `certificate_not_trusted`: the certificate the server showed, so the user can decide
    /// to trust exactly this one (its fingerprint goes into `ServerSettings::trusted_cert`).
    pub certificate: Option<Box<CertificateInfo>>,
    /// A page of the provider's that helps (e.g. how to make an app password).
    pub help_url: Option<String>,
}

/// A server certificate as the user needs to judge it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CertificateInfo {
    /// The server name the connection was for.
    pub host: String,
    /// SHA-256 fingerprint of the certificate, `AB:CD:…`.
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    /// Validity, seconds since the Unix epoch.
    #[ts(type = "number")]
    pub not_before: i64,
    #[ts(type = "number")]
    pub not_after: i64,
    /// Why it was not trusted, in plain words.
    pub reason: String,
}

// ---- discovery

/// A mail protocol a discovered server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

/// How a server wants the user to prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum AuthMethod {
    /// A password (or an app password), sent only over an encrypted connection.
    Password,
    /// Signing in through the provider's web page (OAuth 2.0).
    OAuth2,
}

/// What to do with mail on a POP3 server after it was downloaded (from autoconfig's `<pop3>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Pop3Options {
    pub leave_messages_on_server: bool,
    /// Delete from the server after this many days (when leaving mail there).
    pub days_to_leave_messages_on_server: Option<u32>,
}

/// One server found by discovery, with the user name already filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ServerConfig {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub auth: AuthMethod,
    /// POP3 only: the provider's download policy, when it said one.
    pub pop3: Option<Pop3Options>,
}

/// Where discovered settings came from, highest priority first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiscoverySource {
    /// Petrel's bundled provider table.
    Provider,
    /// The provider's autoconfig file, fetched over HTTPS.
    Autoconfig,
    /// DNS SRV records (RFC 6186 / RFC 8314).
    Srv,
    /// The domain's mail exchanger (MX) points to a known provider.
    Mx,
    /// An autoconfig file fetched over plain HTTP: untrusted until the user confirms it.
    AutoconfigHttp,
    /// Probing the usual server names and ports.
    Guess,
}

/// Settings found for an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiscoveredConfig {
    pub source: DiscoverySource,
    /// The provider's name, when known ("Gmail", "Fastmail", …).
    pub provider: Option<String>,
    /// Incoming servers, best first.
    pub incoming: Vec<ServerConfig>,
    /// Outgoing (SMTP) servers, best first.
    pub outgoing: Vec<ServerConfig>,
    /// False when the settings came over an unauthenticated channel (plain HTTP) or point to an
    /// unencrypted server: the UI asks the user to confirm them.
    pub trusted: bool,
    /// Facts the user needs, in plain words ("needs an app password …").
    pub notes: Vec<String>,
    pub help_url: Option<String>,
    /// Set when the provider offers no IMAP/POP3 at all, saying why Petrel cannot be used.
    pub unsupported: Option<String>,
}

/// How one discovery source is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiscoveryState {
    Looking,
    Found,
    NotFound,
    Failed,
    /// Stopped because a better source already answered.
    Skipped,
}

/// A progress report of one source, for the "Looking up settings…" step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiscoveryProgress {
    pub source: DiscoverySource,
    pub state: DiscoveryState,
    /// What was looked at or why it failed, in plain words.
    pub detail: Option<String>,
}

/// A server discovery saw but did not use, and why (e.g. its certificate is not trusted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ServerProblem {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub kind: ErrorKind,
    pub detail: String,
}

/// The end of a discovery: the settings (if any), what was rejected, and how each source ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiscoveryOutcome {
    pub email: String,
    /// None when nothing was found: the user enters the settings by hand.
    pub config: Option<DiscoveredConfig>,
    /// A sentence for the user: what was found and where, or that nothing was.
    pub summary: String,
    pub problems: Vec<ServerProblem>,
    /// The last state of every source.
    pub sources: Vec<DiscoveryProgress>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}
