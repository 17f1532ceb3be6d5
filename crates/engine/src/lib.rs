//! Petrel's mail engine: everything a mail client does except drawing windows.
//!
//! Data flows one way: server → engine → SQLite → events → UI. The engine owns the store
//! ([`store`]), talks to servers ([`imap`], [`pop3`], [`smtp`]) over verified TLS ([`net`]), keeps passwords in
//! the OS keychain ([`secrets`]) and parses and composes mail ([`mime`]). [`Engine`] is the one
//! facade the desktop shell and the `petrel` command line use; [`sync`] keeps accounts up to date
//! in the background (IDLE push on the INBOX, polling for the rest) and replays the user's changes
//! (flags, moves, deletes) from the store's operation queue. This crate has no UI dependency.

pub mod bodies;
pub mod compose;
pub mod discovery;
pub mod engine;
pub mod error;
pub mod imap;
pub mod mime;
pub mod model;
pub mod net;
pub mod notify;
pub mod paths;
pub mod pop3;
pub mod replies;
pub mod secrets;
pub mod smtp;
pub mod store;
pub mod sync;

pub use engine::Engine;
pub use error::{Error, Result};
pub use store::FlagChange;
pub use sync::{Background, SyncConfig};
