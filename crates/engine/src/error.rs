//! The engine's error type. Every variant knows how to say what went wrong in plain words
//! ([`Error::to_user`]) and keeps the technical detail for a "Details" disclosure and for logs.

use crate::model::{CertificateInfo, ErrorKind, UserError};

/// A provider's word on signing in from mail programs, from the bundled provider table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub note: String,
    pub help_url: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the server name {host} could not be found: {source}")]
    HostNotFound {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{host}:{port} refused the connection")]
    ConnectionRefused { host: String, port: u16 },
    #[error("{what} took too long and was given up")]
    Timeout { what: String },
    #[error("the connection to {host}:{port} failed: {source}")]
    Network {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the secure connection to {host} failed: {detail}")]
    Tls { host: String, detail: String },
    #[error("the certificate of {host} is not trusted: {detail}")]
    CertificateNotTrusted {
        host: String,
        detail: String,
        certificate: Option<Box<CertificateInfo>>,
    },
    #[error("{host} does not offer STARTTLS, so the connection cannot be encrypted")]
    NoStarttls { host: String },
    #[error("{server} did not accept the user name or password: {detail}")]
    AuthFailed {
        server: String,
        detail: String,
        /// What the provider says about signing in from mail programs (app passwords, OAuth).
        advice: Option<Box<Advice>>,
    },
    /// POP3 `[IN-USE]`: another session holds the mailbox.
    #[error("{server} says the mailbox is in use: {detail}")]
    MailboxInUse { server: String, detail: String },
    /// A refusal the server says is temporary (POP3 `[SYS/TEMP]`, `[LOGIN-DELAY]`).
    #[error("{server} asked to try again later: {detail}")]
    TryLater { server: String, detail: String },
    #[error("{server} answered unexpectedly: {detail}")]
    Protocol { server: String, detail: String },
    #[error("the keychain: {0}")]
    Keychain(String),
    #[error("the mail database ({context}): {source}")]
    Storage {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the data folder {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("the server refused the message: {0}")]
    SendRejected(String),
    /// A 4xx answer from the outgoing server: not now, maybe later.
    #[error("{server} could not take the message now: {detail}")]
    SendDeferred { server: String, detail: String },
    /// A change the user made (flags, move, delete…) that the server refused for good.
    #[error("{server} refused to {what}: {detail}")]
    ChangeRefused {
        server: String,
        what: String,
        detail: String,
    },
    /// Undo send asked for too late.
    #[error("too late to undo: {0}")]
    TooLateToUndo(String),
    /// Sending asked of a process that does not send the outbox: another Petrel process on the
    /// same data folder does, and the message is queued for it.
    #[error("the message is queued; another Petrel process on this data folder sends the outbox")]
    SentElsewhere,
    /// A change that needs the server (folder changes) while it cannot be reached.
    #[error("could not {what}: the server cannot be reached: {detail}")]
    Offline { what: String, detail: String },
    /// A part of a message that cannot be decoded or is not where its structure says.
    #[error("{what} is damaged: {detail}")]
    BrokenPart { what: String, detail: String },
    /// A file the user chose could not be written.
    #[error("{path} could not be written: {source}")]
    SaveFailed {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The desktop's notification service refused or is missing.
    #[error("the desktop notification could not be shown: {0}")]
    Notification(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::HostNotFound { .. } => ErrorKind::HostNotFound,
            Error::ConnectionRefused { .. } => ErrorKind::ConnectionRefused,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Network { .. } => ErrorKind::ConnectionRefused,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::CertificateNotTrusted { .. } => ErrorKind::CertificateNotTrusted,
            Error::NoStarttls { .. } => ErrorKind::NoEncryption,
            Error::AuthFailed { .. } => ErrorKind::AuthFailed,
            Error::Protocol { .. } => ErrorKind::Protocol,
            Error::MailboxInUse { .. } | Error::TryLater { .. } => ErrorKind::TryLater,
            Error::Keychain(_) => ErrorKind::Keychain,
            Error::Storage { .. } | Error::Io { .. } => ErrorKind::Storage,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::BrokenPart { .. } => ErrorKind::Protocol,
            Error::SaveFailed { .. } => ErrorKind::Storage,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::SendRejected(_) => ErrorKind::SendRejected,
            Error::SendDeferred { .. } => ErrorKind::TryLater,
            Error::TooLateToUndo(_) => ErrorKind::TooLate,
            Error::SentElsewhere => ErrorKind::TryLater,
            Error::ChangeRefused { .. } => ErrorKind::Protocol,
            Error::Offline { .. } => ErrorKind::ConnectionRefused,
            Error::Notification(_) => ErrorKind::Internal,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// One sentence a person can act on.
    pub fn summary(&self) -> String {
        match self {
            Error::HostNotFound { host, .. } => format!(
                "The server “{host}” could not be found. Check the server name and your internet connection."
            ),
            Error::ConnectionRefused { host, port } => format!(
                "The server “{host}” refused the connection on port {port}. Check the port and the security setting."
            ),
            Error::Timeout { what } => {
                format!("{what} took too long. The server may be down or a firewall may block it.")
            }
            Error::Network { host, .. } => format!(
                "The connection to “{host}” failed. Check your internet connection and try again."
            ),
            Error::Tls { host, .. } => format!(
                "A secure connection to “{host}” could not be made. Check the port and the security setting."
            ),
            Error::CertificateNotTrusted { host, detail, .. } => format!(
                "The certificate of “{host}” is not trusted: {detail}. Petrel did not send your password to it."
            ),
            Error::NoStarttls { host } => format!(
                "“{host}” does not offer encryption (STARTTLS) on this port. Petrel will not send your password unencrypted."
            ),
            Error::AuthFailed {
                server,
                advice: Some(advice),
                ..
            } => format!(
                "{server} did not accept the user name or password. {}",
                advice.note
            ),
            Error::AuthFailed { server, .. } => format!(
                "{server} did not accept the user name or password. Check them and try again."
            ),
            Error::Protocol { server, .. } => {
                format!("{server} answered in a way Petrel did not expect.")
            }
            Error::MailboxInUse { server, .. } => format!(
                "Another program is downloading mail from this mailbox right now ({server} allows one at a time). Try again in a minute."
            ),
            Error::TryLater { server, .. } => format!(
                "{server} cannot give out mail right now. Petrel will try again later."
            ),
            Error::Keychain(detail) => format!("Petrel could not use the system keychain: {detail}"),
            Error::Storage { .. } | Error::Io { .. } => {
                "Petrel could not read or write its mail database. Check that the disk is not full."
                    .to_string()
            }
            Error::InvalidInput(msg) => msg.clone(),
            Error::NotFound(what) => format!("{what} no longer exists."),
            Error::SendRejected(reason) => format!("The server refused to send the message: {reason}"),
            Error::SendDeferred { server, .. } => format!(
                "{server} could not take the message right now. Petrel will try again."
            ),
            Error::TooLateToUndo(why) => format!("It is too late to undo: {why}."),
            Error::SentElsewhere => "Petrel is running on this data folder and sends its outbox: \
                the message is queued there and it will send it in a few seconds."
                .to_string(),
            Error::ChangeRefused { server, what, .. } => format!(
                "{server} refused to {what}. The folder now shows again what the server has."
            ),
            Error::Offline { what, .. } => format!(
                "You are offline or the server cannot be reached, so Petrel could not {what}. Nothing was changed; try again when you are connected."
            ),
            Error::BrokenPart { what, .. } => format!(
                "{what} is damaged in this message and could not be decoded. Other mail programs may not read it either."
            ),
            Error::SaveFailed { path, source } => format!(
                "Petrel could not save to “{path}”: {source}. Check that the folder exists and that you may write there."
            ),
            Error::Notification(_) => "The desktop did not show Petrel's notification. On Linux a notification service must be running (most desktops have one); on Windows, Petrel must be installed, not run from a folder.".to_string(),
            Error::Internal(msg) => format!("Something went wrong inside Petrel: {msg}"),
        }
    }

    pub fn to_user(&self) -> UserError {
        let mut detail = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            // A source the message already quotes is not said twice.
            let words = s.to_string();
            if !detail.contains(&words) {
                detail.push_str(": ");
                detail.push_str(&words);
            }
            source = s.source();
        }
        let certificate = match self {
            Error::CertificateNotTrusted { certificate, .. } => certificate.clone(),
            _ => None,
        };
        let help_url = match self {
            Error::AuthFailed {
                advice: Some(advice),
                ..
            } => advice.help_url.clone(),
            _ => None,
        };
        UserError {
            kind: self.kind(),
            summary: self.summary(),
            detail,
            certificate,
            help_url,
        }
    }

    pub(crate) fn storage(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Error {
        let context = context.into();
        move |source| Error::Storage { context, source }
    }
}

impl From<Error> for UserError {
    fn from(e: Error) -> UserError {
        e.to_user()
    }
}
