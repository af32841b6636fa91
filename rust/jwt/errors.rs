//! Errors of the token codec: why a token was refused, why a configuration was refused, and
//! why a claim set could not be signed. None of them carries key bytes or token contents.

use std::fmt;

/// Why a token was refused. Each variant has a short machine word (`reason()`) that the
/// Python side exposes as `TokenError.reason`; every one of them answers 401 on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Longer than the configured maximum.
    TooLarge,
    /// Not three base64url parts, bad base64url, not UTF-8, not JSON, not a JSON object,
    /// or a JSON object with a repeated member name (in the header or the payload).
    Malformed(&'static str),
    /// `alg` missing, not a string, or not exactly the configured algorithm.
    Algorithm,
    /// `typ` missing or not exactly `at+jwt`.
    Type,
    /// `kid` missing, not a string, or not a configured key.
    Kid,
    /// A header member that we never follow or cannot honour (`jku`, `x5u`, `jwk`, `x5c`,
    /// `crit`, `b64`, `zip`).
    Header(&'static str),
    /// The signature has the wrong length or does not verify.
    Signature,
    /// A required claim (named) is missing or has the wrong JSON type.
    Claims(&'static str),
    /// `iss` is not the configured issuer.
    Issuer,
    /// `aud` is not the configured audience.
    Audience,
    /// `exp` is at or before now minus the leeway.
    Expired,
    /// `nbf` is after now plus the leeway.
    NotYetValid,
    /// `iat` is after now plus the leeway.
    IssuedInFuture,
}

impl TokenError {
    /// The short machine word for this refusal.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Malformed(_) => "malformed",
            Self::Algorithm => "algorithm",
            Self::Type => "type",
            Self::Kid => "kid",
            Self::Header(_) => "header",
            Self::Signature => "signature",
            Self::Claims(_) => "claims",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("token is too large"),
            Self::Malformed(why) => write!(f, "token is malformed: {why}"),
            Self::Algorithm => f.write_str("token algorithm is not the configured one"),
            Self::Type => f.write_str("token type is not at+jwt"),
            Self::Kid => f.write_str("token key id is missing or unknown"),
            Self::Header(name) => write!(f, "token header '{name}' is not accepted"),
            Self::Signature => f.write_str("token signature does not verify"),
            Self::Claims(name) => {
                write!(f, "token claim '{name}' is missing or has the wrong type")
            }
            Self::Issuer => f.write_str("token issuer does not match"),
            Self::Audience => f.write_str("token audience does not match"),
            Self::Expired => f.write_str("token has expired"),
            Self::NotYetValid => f.write_str("token is not yet valid"),
            Self::IssuedInFuture => f.write_str("token is issued in the future"),
        }
    }
}

impl std::error::Error for TokenError {}

/// Why a codec configuration was refused. Messages name the key by its id or position,
/// never by its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Why `sign`, `signing_input` or `assemble` refused: a bug on the issuing side, never a
/// client's fault (the Python side lets it become a 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SignError {}
