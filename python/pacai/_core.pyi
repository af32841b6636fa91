"""Type stub for the Rust extension module `pacai._core` (checked by mypy.stubtest)."""

from typing import Self, final

__version__: str
build_profile: str

# --- canonical JSON (rust/canonical) ---
def canonicalize_json(data: bytes) -> bytes:
    """Canonical (RFC 8785) bytes of a JSON document; ValueError if it is not JSON or holds
    a number that cannot be represented exactly."""

def is_canonical_json(data: bytes) -> bool:
    """True when the bytes are already canonical JSON."""

# --- jwt (rust/jwt) ---
class TokenError(ValueError):
    """An access token was refused (CONTRACT §3.8); every reason answers 401.

    `reason` is one of: "too_large" (longer than max_token_bytes), "malformed" (not three
    base64url parts without padding, not UTF-8 JSON objects, or a member name repeated in the
    header or the payload), "algorithm" (`alg` missing or not exactly the configured one),
    "header" (a `jku`, `x5u`, `jwk`, `x5c`, `crit`, `b64` or `zip` header), "type" (`typ` is
    not "at+jwt"), "kid" (`kid` missing or not configured), "signature", "claims" (a required
    claim missing or of the wrong JSON type), "issuer", "audience", "expired",
    "not_yet_valid", "issued_in_future". The message never quotes the token."""

    reason: str

@final
class TokenCodec:
    """Signs and verifies access tokens: compact JWS, header {"alg", "typ": "at+jwt", "kid"}.

    algorithm "HS256": each key is (kid, secret), secret >= 32 bytes. algorithm "EdDSA": each
    key is (kid, PEM PKCS#8 private key | PEM SubjectPublicKeyInfo public key | 32 raw
    public-key bytes). Several kids allow rotation. signing_kid names the key new tokens
    carry (None: verify-only); a public-only EdDSA signing kid is for an external signer
    (signing_input + assemble; sign raises). A kid is 1..128 visible ASCII characters other
    than quote and backslash. leeway_seconds 0..60, max_token_bytes 1..8192. Bad
    configuration raises ValueError (never quoting key bytes). Immutable and thread-safe."""

    def __new__(
        cls,
        algorithm: str,
        keys: list[tuple[str, bytes]],
        signing_kid: str | None,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        max_token_bytes: int = 8192,
    ) -> Self: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def signing_kid(self) -> str | None: ...
    @property
    def can_sign(self) -> bool:
        """False for a verify-only codec or a public-only signing key."""
    @property
    def kids(self) -> list[str]:
        """The configured kids, in configuration order."""
    @property
    def issuer(self) -> str: ...
    @property
    def audience(self) -> str: ...
    @property
    def leeway_seconds(self) -> int: ...
    @property
    def max_token_bytes(self) -> int: ...
    def sign(self, claims: dict[str, object]) -> str:
        """A token for `claims`, serialized as RFC 8785 canonical JSON. The claims must hold
        iss, aud, sub, sid, jti, tier, role (str) and iat, nbf, exp (int or float); values
        must be JSON (str, int, float, bool, None, list, tuple, dict). ValueError/TypeError
        otherwise, or when the codec cannot sign or the token would exceed max_token_bytes."""
    def signing_input(self, claims: dict[str, object]) -> bytes:
        """b"header.payload" for an external signer (an HSM), under signing_kid."""
    def assemble(self, signing_input: bytes, signature: bytes) -> str:
        """signing_input + "." + base64url(signature); ValueError unless signing_input came
        from this codec and the signature verifies with the signing key."""
    def verify(self, token: str | bytes, now: int | None = None) -> dict[str, object]:
        """The claims of a valid token, or TokenError. `now` is unix seconds (default: the
        system clock). Rules: see TokenError; exp > now - leeway, nbf <= now + leeway,
        iat <= now + leeway. JSON integers (and floats with an integral value up to 2**53)
        come back as int. Does not check that `sid` is an active session."""

# --- rate limits (rust/ratelimit) ---

# --- websocket (rust/ws) ---

# --- signatures and licences (rust/sign) ---

# --- world generation (rust/worldgen) ---
