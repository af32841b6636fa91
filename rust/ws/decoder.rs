//! Incremental decoder for the frames a client sends to the server.
//!
//! Bytes may arrive in any chunking; the decoder keeps at most one partial frame header
//! (14 bytes), the part of the current message received so far and one partial control
//! frame. Payload bytes are unmasked straight into the message buffer as they arrive, so a
//! header that declares a huge length allocates nothing until the bytes are there, and the
//! size limit is enforced from the header, before any of them is buffered.

use super::{close_code, is_valid_close_code, opcode, ProtocolError, MAX_CONTROL_PAYLOAD};

/// A complete message or control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text message, reassembled from its fragments; valid UTF-8 by construction.
    Text(String),
    /// A binary message, reassembled from its fragments.
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The raw close payload: empty, or a valid close code and a UTF-8 reason.
    Close(Vec<u8>),
}

impl Frame {
    pub fn opcode(&self) -> u8 {
        match self {
            Self::Text(_) => opcode::TEXT,
            Self::Binary(_) => opcode::BINARY,
            Self::Ping(_) => opcode::PING,
            Self::Pong(_) => opcode::PONG,
            Self::Close(_) => opcode::CLOSE,
        }
    }
}

/// The code and reason of a close payload the decoder accepted (1005 when it is empty).
pub fn close_code_and_reason(payload: &[u8]) -> (u16, &str) {
    match payload {
        [hi, lo, reason @ ..] => (
            u16::from_be_bytes([*hi, *lo]),
            std::str::from_utf8(reason).unwrap_or(""),
        ),
        _ => (close_code::NO_STATUS, ""),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Payload,
}

#[derive(Debug, Clone, Copy)]
struct FrameHead {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    remaining: u64,
    /// Position in the mask of the next payload byte (payload bytes seen so far, mod 4).
    mask_offset: usize,
}

/// Server-side decoder state for one connection.
#[derive(Debug)]
pub struct Decoder {
    max_message_size: u64,
    stage: Stage,
    /// The header bytes gathered so far (at most 14).
    header: Vec<u8>,
    /// How many header bytes the current frame has: 2 until the first two are known.
    header_need: usize,
    frame: FrameHead,
    /// TEXT or BINARY while a data message is in progress, else CONTINUATION.
    message_opcode: u8,
    message: Vec<u8>,
    /// How much of a text message in progress is known to be valid UTF-8.
    utf8_checked: usize,
    control: Vec<u8>,
    error: Option<ProtocolError>,
    closed: bool,
}

impl Decoder {
    pub fn new(max_message_size: u64) -> Self {
        Self {
            max_message_size,
            stage: Stage::Header,
            header: Vec::with_capacity(14),
            header_need: 2,
            frame: FrameHead {
                fin: true,
                opcode: opcode::CONTINUATION,
                mask: [0; 4],
                remaining: 0,
                mask_offset: 0,
            },
            message_opcode: opcode::CONTINUATION,
            message: Vec::new(),
            utf8_checked: 0,
            control: Vec::new(),
            error: None,
            closed: false,
        }
    }

    pub fn max_message_size(&self) -> u64 {
        self.max_message_size
    }

    /// The violation that stopped the decoder, if any.
    pub fn error(&self) -> Option<&ProtocolError> {
        self.error.as_ref()
    }

    /// True once a close frame was decoded; later bytes are ignored (§5.5.1).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Bytes of an unfinished message held in memory.
    pub fn buffered(&self) -> usize {
        self.message.len() + self.control.len() + self.header.len()
    }

    /// Decodes `data`, appending every frame it completes to `out`. On a violation the
    /// frames completed before it are still in `out`, the error is returned and every later
    /// call returns it again.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Frame>) -> Result<(), ProtocolError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        let result = self.feed_inner(data, out);
        if let Err(err) = &result {
            self.error = Some(err.clone());
            self.message = Vec::new();
            self.control = Vec::new();
        }
        result
    }

    fn feed_inner(&mut self, mut data: &[u8], out: &mut Vec<Frame>) -> Result<(), ProtocolError> {
        while !data.is_empty() && !self.closed {
            match self.stage {
                Stage::Header => {
                    let take = (self.header_need - self.header.len()).min(data.len());
                    let (head, rest) = data.split_at(take);
                    self.header.extend_from_slice(head);
                    data = rest;
                    if self.header.len() == self.header_need {
                        self.parse_header(out)?;
                    }
                }
                Stage::Payload => {
                    let take = usize::try_from(self.frame.remaining)
                        .unwrap_or(usize::MAX)
                        .min(data.len());
                    let (chunk, rest) = data.split_at(take);
                    data = rest;
                    let target = if opcode::is_control(self.frame.opcode) {
                        &mut self.control
                    } else {
                        &mut self.message
                    };
                    unmask_append(target, chunk, self.frame.mask, self.frame.mask_offset);
                    self.frame.mask_offset = (self.frame.mask_offset + take) & 3;
                    self.frame.remaining -= take as u64;
                    if self.frame.remaining == 0 {
                        self.finish_frame(out)?;
                    }
                }
            }
        }
        // Fail fast on a text message whose bytes so far can no longer be valid UTF-8.
        if self.message_opcode == opcode::TEXT && !self.closed {
            self.check_utf8_so_far()?;
        }
        Ok(())
    }

    fn parse_header(&mut self, out: &mut Vec<Frame>) -> Result<(), ProtocolError> {
        let (b0, b1) = match self.header.as_slice() {
            [b0, b1, ..] => (*b0, *b1),
            _ => return Ok(()),
        };
        if self.header.len() == 2 {
            self.check_first_bytes(b0, b1)?;
            let extended = match b1 & 0x7F {
                126 => 2,
                127 => 8,
                _ => 0,
            };
            // Every client frame is masked (checked above), so 4 mask bytes follow.
            self.header_need = 2 + extended + 4;
            if self.header.len() < self.header_need {
                return Ok(());
            }
        }

        let fin = b0 & 0x80 != 0;
        let op = b0 & 0x0F;
        let (length, mask) = match (b1 & 0x7F, self.header.get(2..)) {
            (126, Some(&[l0, l1, m0, m1, m2, m3])) => {
                (u64::from(u16::from_be_bytes([l0, l1])), [m0, m1, m2, m3])
            }
            (127, Some(&[l0, l1, l2, l3, l4, l5, l6, l7, m0, m1, m2, m3])) => {
                let length = u64::from_be_bytes([l0, l1, l2, l3, l4, l5, l6, l7]);
                if length >> 63 != 0 {
                    return Err(ProtocolError::protocol(
                        "frame length has the most significant bit set",
                    ));
                }
                (length, [m0, m1, m2, m3])
            }
            (short, Some(&[m0, m1, m2, m3])) => (u64::from(short), [m0, m1, m2, m3]),
            _ => return Err(ProtocolError::protocol("malformed frame header")),
        };

        if !opcode::is_control(op) {
            let so_far = self.message.len() as u64;
            if so_far.saturating_add(length) > self.max_message_size {
                return Err(ProtocolError {
                    code: close_code::MESSAGE_TOO_BIG,
                    reason: "message too big",
                });
            }
            if op != opcode::CONTINUATION {
                self.message_opcode = op;
                self.utf8_checked = 0;
            }
        }

        self.header.clear();
        self.header_need = 2;
        self.frame = FrameHead {
            fin,
            opcode: op,
            mask,
            remaining: length,
            mask_offset: 0,
        };
        self.stage = Stage::Payload;
        if length == 0 {
            self.finish_frame(out)?;
        }
        Ok(())
    }

    /// The checks that the first two header bytes decide, so a bad frame fails before
    /// the rest of its header arrives.
    fn check_first_bytes(&self, b0: u8, b1: u8) -> Result<(), ProtocolError> {
        let fin = b0 & 0x80 != 0;
        let op = b0 & 0x0F;
        if b0 & 0x70 != 0 {
            return Err(ProtocolError::protocol("reserved bits must be 0"));
        }
        if !opcode::is_known(op) {
            return Err(ProtocolError::protocol("unknown opcode"));
        }
        if opcode::is_control(op) {
            if !fin {
                return Err(ProtocolError::protocol("fragmented control frame"));
            }
            if usize::from(b1 & 0x7F) > MAX_CONTROL_PAYLOAD {
                return Err(ProtocolError::protocol("control frame payload too long"));
            }
        } else if op == opcode::CONTINUATION {
            if self.message_opcode == opcode::CONTINUATION {
                return Err(ProtocolError::protocol(
                    "continuation frame without a message",
                ));
            }
        } else if self.message_opcode != opcode::CONTINUATION {
            return Err(ProtocolError::protocol(
                "new data frame inside a fragmented message",
            ));
        }
        if b1 & 0x80 == 0 {
            return Err(ProtocolError::protocol("client frames must be masked"));
        }
        Ok(())
    }

    fn finish_frame(&mut self, out: &mut Vec<Frame>) -> Result<(), ProtocolError> {
        self.stage = Stage::Header;
        match self.frame.opcode {
            opcode::PING => out.push(Frame::Ping(std::mem::take(&mut self.control))),
            opcode::PONG => out.push(Frame::Pong(std::mem::take(&mut self.control))),
            opcode::CLOSE => {
                let payload = std::mem::take(&mut self.control);
                check_close_payload(&payload)?;
                self.closed = true;
                out.push(Frame::Close(payload));
            }
            _ => {
                if !self.frame.fin {
                    if self.message_opcode == opcode::TEXT {
                        self.check_utf8_so_far()?;
                    }
                    return Ok(());
                }
                let payload = std::mem::take(&mut self.message);
                let message_opcode =
                    std::mem::replace(&mut self.message_opcode, opcode::CONTINUATION);
                self.utf8_checked = 0;
                if message_opcode == opcode::TEXT {
                    let text = String::from_utf8(payload).map_err(|_| invalid_utf8())?;
                    out.push(Frame::Text(text));
                } else {
                    out.push(Frame::Binary(payload));
                }
            }
        }
        Ok(())
    }

    /// Validates the bytes of the text message received since the last check; a sequence
    /// cut at the end is fine for now, one that no continuation can repair is not.
    fn check_utf8_so_far(&mut self) -> Result<(), ProtocolError> {
        let unchecked = self.message.get(self.utf8_checked..).unwrap_or_default();
        match std::str::from_utf8(unchecked) {
            Ok(_) => self.utf8_checked = self.message.len(),
            Err(err) if err.error_len().is_none() => self.utf8_checked += err.valid_up_to(),
            Err(_) => return Err(invalid_utf8()),
        }
        Ok(())
    }
}

fn invalid_utf8() -> ProtocolError {
    ProtocolError {
        code: close_code::INVALID_PAYLOAD,
        reason: "invalid UTF-8 in text message",
    }
}

fn check_close_payload(payload: &[u8]) -> Result<(), ProtocolError> {
    match payload {
        [] => Ok(()),
        [_] => Err(ProtocolError::protocol("close payload of 1 byte")),
        [hi, lo, reason @ ..] => {
            if !is_valid_close_code(u16::from_be_bytes([*hi, *lo])) {
                return Err(ProtocolError::protocol("invalid close code"));
            }
            if std::str::from_utf8(reason).is_err() {
                return Err(ProtocolError {
                    code: close_code::INVALID_PAYLOAD,
                    reason: "invalid UTF-8 in close reason",
                });
            }
            Ok(())
        }
    }
}

/// Appends `src` XOR the mask (starting at mask byte `offset`) to `dst`, eight bytes at a
/// time so the compiler can vectorize it.
pub(crate) fn unmask_append(dst: &mut Vec<u8>, src: &[u8], mask: [u8; 4], offset: usize) {
    let start = dst.len();
    dst.extend_from_slice(src);
    let Some(buf) = dst.get_mut(start..) else {
        return;
    };
    apply_mask(buf, mask, offset);
}

/// XORs `buf` in place with the mask, the first byte with mask byte `offset`.
pub(crate) fn apply_mask(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    let mut rotated = [0u8; 4];
    for (i, byte) in rotated.iter_mut().enumerate() {
        *byte = mask.get((i + offset) & 3).copied().unwrap_or(0);
    }
    let [r0, r1, r2, r3] = rotated;
    let word = u64::from_ne_bytes([r0, r1, r2, r3, r0, r1, r2, r3]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    for (byte, m) in chunks
        .into_remainder()
        .iter_mut()
        .zip(rotated.iter().cycle())
    {
        *byte ^= m;
    }
}
