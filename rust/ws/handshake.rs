//! The opening handshake (RFC 6455 §4.2): parse and validate the client's upgrade request
//! and compute `Sec-WebSocket-Accept`.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use sha1::{Digest, Sha1};
use std::fmt;

/// The GUID every server appends to the key (§1.3).
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Keys are decoded as standard padded base64. Bits left over after the 16th byte are
/// tolerated, as the `websockets` library does: no correct client produces them.
const KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Why an upgrade request is refused, as the HTTP status to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeError {
    /// 400 for a malformed request, 405 for a method other than GET, 426 (with
    /// `Sec-WebSocket-Version: 13`) for a version the server does not speak.
    pub status: u16,
    pub reason: &'static str,
}

impl HandshakeError {
    const fn bad_request(reason: &'static str) -> Self {
        Self {
            status: 400,
            reason,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.reason)
    }
}

impl std::error::Error for HandshakeError {}

/// A valid upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// Every header in order, names lower-cased, values as sent.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The subprotocols the client offers, in its order.
    pub subprotocols: Vec<String>,
    /// The `Sec-WebSocket-Accept` value for the response.
    pub accept: String,
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)). The key
/// must be the base64 encoding of exactly 16 bytes.
pub fn accept_key(key: &str) -> Result<String, HandshakeError> {
    let key = key.trim_matches([' ', '\t']);
    match KEY_ENGINE.decode(key) {
        Ok(raw) if raw.len() == 16 => {}
        _ => return Err(HandshakeError::bad_request("invalid Sec-WebSocket-Key")),
    }
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(ACCEPT_GUID);
    Ok(STANDARD.encode(sha.finalize()))
}

/// Parses an HTTP/1.1 request head (request line and headers, with or without the final
/// blank line) and validates it as a WebSocket upgrade.
pub fn parse_upgrade_request(head: &[u8]) -> Result<UpgradeRequest, HandshakeError> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let request_line = lines.next().unwrap_or_default();
    let (method, target) = parse_request_line(request_line)?;

    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        headers.push(parse_header_line(line)?);
    }

    if method != "GET" {
        return Err(HandshakeError {
            status: 405,
            reason: "WebSocket upgrades use GET",
        });
    }
    let values = |name: &'static [u8]| {
        headers
            .iter()
            .filter(move |(n, _)| n.as_slice() == name)
            .map(|(_, v)| v.as_slice())
    };
    let tokens = |name: &'static [u8]| {
        values(name).flat_map(|v| v.split(|&b| b == b',').map(<[u8]>::trim_ascii))
    };

    if !tokens(b"upgrade").any(|t| t.eq_ignore_ascii_case(b"websocket")) {
        return Err(HandshakeError::bad_request("missing Upgrade: websocket"));
    }
    if !tokens(b"connection").any(|t| t.eq_ignore_ascii_case(b"upgrade")) {
        return Err(HandshakeError::bad_request("missing Connection: upgrade"));
    }
    let versions: Vec<&[u8]> = values(b"sec-websocket-version").collect();
    match versions.as_slice() {
        [] => return Err(HandshakeError::bad_request("missing Sec-WebSocket-Version")),
        [b"13"] => {}
        _ => {
            return Err(HandshakeError {
                status: 426,
                reason: "unsupported Sec-WebSocket-Version",
            })
        }
    }
    let keys: Vec<&[u8]> = values(b"sec-websocket-key").collect();
    let accept = match keys.as_slice() {
        [key] => accept_key(std::str::from_utf8(key).map_err(|_| invalid_key())?)?,
        _ => return Err(invalid_key()),
    };
    let subprotocols = tokens(b"sec-websocket-protocol")
        .filter(|t| !t.is_empty())
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect();

    Ok(UpgradeRequest {
        method,
        target,
        headers,
        subprotocols,
        accept,
    })
}

fn invalid_key() -> HandshakeError {
    HandshakeError::bad_request("invalid Sec-WebSocket-Key")
}

fn parse_request_line(line: &[u8]) -> Result<(String, String), HandshakeError> {
    let malformed = || HandshakeError::bad_request("malformed request line");
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    if method.is_empty() || !method.iter().all(|&b| is_token_byte(b)) {
        return Err(malformed());
    }
    if target.is_empty() || !target.iter().all(|&b| (0x21..0x7F).contains(&b)) {
        return Err(malformed());
    }
    if version != b"HTTP/1.1" {
        return Err(HandshakeError::bad_request(
            "WebSocket upgrades need HTTP/1.1",
        ));
    }
    // Both are ASCII, checked above.
    Ok((
        String::from_utf8_lossy(method).into_owned(),
        String::from_utf8_lossy(target).into_owned(),
    ))
}

fn parse_header_line(line: &[u8]) -> Result<(Vec<u8>, Vec<u8>), HandshakeError> {
    let malformed = || HandshakeError::bad_request("malformed header line");
    let colon = line.iter().position(|&b| b == b':').ok_or_else(malformed)?;
    let (name, rest) = line.split_at(colon);
    if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
        // Also rejects obsolete line folding, whose lines start with white space.
        return Err(malformed());
    }
    let value = rest.get(1..).unwrap_or_default().trim_ascii();
    if value.iter().any(|&b| b == 0 || b == b'\r') {
        return Err(malformed());
    }
    Ok((name.to_ascii_lowercase(), value.to_vec()))
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
