//! Encoder for server frames. A server never masks (RFC 6455 §5.1) and pacai negotiates no
//! extension, so a frame is a 2-10 byte header followed by the payload as is.

use super::{is_valid_close_code, opcode, MAX_CONTROL_PAYLOAD};
use std::fmt;

/// Why a frame cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    UnknownOpcode(u8),
    ControlPayloadTooLong(usize),
    FragmentedControl,
    InvalidCloseCode(u16),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOpcode(op) => write!(f, "unknown opcode {op}"),
            Self::ControlPayloadTooLong(n) => {
                write!(f, "control frame payload of {n} bytes (at most 125)")
            }
            Self::FragmentedControl => f.write_str("control frames cannot be fragmented"),
            Self::InvalidCloseCode(code) => write!(f, "close code {code} cannot be sent"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// The longest close reason that fits a control frame after the 2-byte code.
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// The header of an unmasked frame: the bytes and how many of them are used.
pub fn frame_header(op: u8, fin: bool, payload_len: usize) -> ([u8; 10], usize) {
    let b0 = if fin { 0x80 | op } else { op };
    match payload_len {
        0..=125 => ([b0, payload_len as u8, 0, 0, 0, 0, 0, 0, 0, 0], 2),
        126..=0xFFFF => {
            let [l0, l1] = (payload_len as u16).to_be_bytes();
            ([b0, 126, l0, l1, 0, 0, 0, 0, 0, 0], 4)
        }
        _ => {
            let [l0, l1, l2, l3, l4, l5, l6, l7] = (payload_len as u64).to_be_bytes();
            ([b0, 127, l0, l1, l2, l3, l4, l5, l6, l7], 10)
        }
    }
}

/// Checks that a frame with this opcode, payload length and FIN bit may be sent.
pub fn check_frame(op: u8, payload_len: usize, fin: bool) -> Result<(), EncodeError> {
    if !opcode::is_known(op) {
        return Err(EncodeError::UnknownOpcode(op));
    }
    if opcode::is_control(op) {
        if !fin {
            return Err(EncodeError::FragmentedControl);
        }
        if payload_len > MAX_CONTROL_PAYLOAD {
            return Err(EncodeError::ControlPayloadTooLong(payload_len));
        }
    }
    Ok(())
}

/// Appends one frame to `out`. Text payloads are sent as given: the caller passes UTF-8.
pub fn encode_frame_into(
    out: &mut Vec<u8>,
    op: u8,
    payload: &[u8],
    fin: bool,
) -> Result<(), EncodeError> {
    check_frame(op, payload.len(), fin)?;
    let (header, used) = frame_header(op, fin, payload.len());
    out.reserve(used + payload.len());
    out.extend_from_slice(header.get(..used).unwrap_or_default());
    out.extend_from_slice(payload);
    Ok(())
}

/// One frame as a new buffer.
pub fn encode_frame(op: u8, payload: &[u8], fin: bool) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    encode_frame_into(&mut out, op, payload, fin)?;
    Ok(out)
}

/// The payload of a close frame: the code, then the reason cut to 123 bytes at a character
/// boundary (a longer reason would make the frame invalid).
pub fn close_payload(code: u16, reason: &str) -> Result<Vec<u8>, EncodeError> {
    if !is_valid_close_code(code) {
        return Err(EncodeError::InvalidCloseCode(code));
    }
    let mut cut = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut payload = Vec::with_capacity(2 + cut);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(reason.get(..cut).unwrap_or_default().as_bytes());
    Ok(payload)
}

/// A close frame with a code and reason.
pub fn encode_close(code: u16, reason: &str) -> Result<Vec<u8>, EncodeError> {
    encode_frame(opcode::CLOSE, &close_payload(code, reason)?, true)
}
