//! WebSocket (RFC 6455) for pacai's server side: the opening handshake, an incremental
//! frame decoder that yields whole messages, and an encoder for unmasked server frames.
//!
//! No extension is ever negotiated, so every reserved bit must be zero. Everything here is
//! pure logic over bytes; the uvicorn protocol class (`pacai.ws.uvicorn_protocol`) drives it.

pub mod decoder;
pub mod encoder;
pub mod handshake;

#[cfg(test)]
mod tests;

#[cfg(feature = "python")]
pub(crate) mod py;

pub use decoder::{Decoder, Frame};
pub use encoder::{encode_close, encode_frame, encode_frame_into, EncodeError};
pub use handshake::{accept_key, parse_upgrade_request, HandshakeError, UpgradeRequest};

use std::fmt;

/// Frame opcodes (RFC 6455 §5.2).
pub mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;

    /// Control frames have the high bit of the opcode set (§5.5).
    pub const fn is_control(op: u8) -> bool {
        op & 0x8 != 0
    }

    pub const fn is_known(op: u8) -> bool {
        matches!(op, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG)
    }
}

/// Close codes (RFC 6455 §7.4.1) that the server uses.
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const NO_STATUS: u16 = 1005;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
}

/// The largest payload a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// True when `code` may appear in a close frame on the wire (§7.4): the codes defined by
/// RFC 6455 that an endpoint may send, the ones IANA registered since (1012-1014), and the
/// ranges for libraries (3000-3999) and applications (4000-4999). 1004, 1005, 1006 and
/// 1015 are reserved and must never be sent; 1016-2999 are unassigned.
pub const fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// A violation of RFC 6455 by the peer: the connection must be closed with `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// The close code to send (1002, 1007 or 1009).
    pub code: u16,
    /// A short, human-readable reason, safe to put in the close frame (ASCII, < 123 bytes).
    pub reason: &'static str,
}

impl ProtocolError {
    pub(crate) const fn protocol(reason: &'static str) -> Self {
        Self {
            code: close_code::PROTOCOL_ERROR,
            reason,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.reason)
    }
}

impl std::error::Error for ProtocolError {}
