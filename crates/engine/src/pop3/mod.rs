//! POP3: a small client of our own (no well-kept async POP3 crate exists). The protocol —
//! commands, status lines with RFC 2449 response codes, dot-unstuffed multi-line bodies, limits —
//! is in [`protocol`] and does no I/O; [`client`] drives it over TCP/TLS with time limits:
//! implicit TLS (POP3S), STLS that is never skipped, or plain by explicit choice.

pub mod client;
pub mod protocol;

pub use client::{Client, LoginMethod, Options};
pub use protocol::{Capabilities, ResponseCode, Stat};
