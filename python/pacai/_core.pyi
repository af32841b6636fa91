"""Type stub for the Rust extension module `pacai._core` (checked by mypy.stubtest)."""

from collections.abc import Sequence
from typing import Self, TypedDict, final, type_check_only

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
RATE_LIMIT_MAX_PER_MINUTE: int

@final
class RateDecision:
    """The answer to one rate-limited request (immutable; compares by value).

    allowed: the request was admitted and its cost spent (a refused one spends nothing).
    limit: the budget, units per minute.
    remaining: whole units left after this decision, 0..limit.
    retry_after: seconds until a request of the same cost would be admitted; 0.0 when it
        would be right now (allowed and remaining >= cost), otherwise > 0.
    reset_after: seconds until the bucket is full again (0.0 when full).
    session_ok: whether the session key given to the Redis limiter exists; None when no
        session was checked (always None from MemoryRateLimiter).
    """

    @property
    def allowed(self) -> bool: ...
    @property
    def limit(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def retry_after(self) -> float: ...
    @property
    def reset_after(self) -> float: ...
    @property
    def session_ok(self) -> bool | None: ...
    def __new__(
        cls,
        allowed: bool,
        limit: int,
        remaining: int,
        retry_after: float,
        reset_after: float,
        session_ok: bool | None = None,
    ) -> Self:
        """ValueError unless limit >= 1, 0 <= remaining <= limit and both durations are
        finite and >= 0."""

@final
class MemoryRateLimiter:
    """Thread-safe in-memory GCRA limiter (continuous refill, burst = the whole per-minute
    budget), sharded, holding at most `max_keys` keys."""

    def __new__(cls, max_keys: int = 1_000_000, shards: int = 64) -> Self:
        """ValueError if max_keys < 1 or shards is not in 1..65536."""

    @property
    def max_keys(self) -> int: ...
    def decide(self, key: str, limit_per_minute: int, cost: int = 1, now: float | None = None) -> RateDecision:
        """Decides one request. `now` is seconds on the caller's own monotonic scale (tests);
        None uses the limiter's monotonic clock; do not mix the two on one limiter.
        ValueError if limit_per_minute is not in 1..RATE_LIMIT_MAX_PER_MINUTE, cost < 1,
        cost > limit_per_minute, or now is not finite."""

    def decide_each(self, keys: Sequence[str], limit_per_minute: int, cost: int = 1) -> int:
        """Decides each key in turn (as `decide` would, on the limiter's clock) and returns
        how many were admitted. For benchmarks: it times the bucket without one call through
        the binding per decision. ValueError as for `decide`."""

    def sweep(self, now: float | None = None) -> int:
        """Drops every bucket that has refilled to full; returns how many."""

    def __len__(self) -> int:
        """Stored buckets (may include some refilled since the last sweep)."""

# --- websocket (rust/ws) ---
@final
class WebSocketProtocolError(ValueError):
    """The peer violated RFC 6455; close the connection with `code` (1002, 1007 or 1009)."""

    def __new__(cls, code: int, reason: str) -> WebSocketProtocolError: ...
    @property
    def code(self) -> int: ...
    @property
    def reason(self) -> str:
        """Short ASCII text, safe to put in the close frame."""

@final
class WebSocketHandshakeError(ValueError):
    """An upgrade request that cannot be accepted: answer with HTTP `status` (400 malformed,
    405 not GET, 426 unsupported Sec-WebSocket-Version)."""

    def __new__(cls, status: int, reason: str) -> WebSocketHandshakeError: ...
    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...

@final
class FrameDecoder:
    """Incremental decoder for the frames one client sends (one per connection)."""

    def __new__(cls, max_message_size: int = 65536) -> FrameDecoder: ...
    def feed(self, data: bytes) -> list[tuple[int, str | bytes]]:
        """Decodes a chunk (any chunking); returns `(opcode, payload)` for each message
        (reassembled from fragments) and control frame it completes, in order: text (1) as
        `str`, binary (2), close (8), ping (9), pong (10) as `bytes`. Frames completed
        before a violation are returned first; WebSocketProtocolError is raised when the
        decoder has failed and there is nothing to return. Bytes after a close frame are
        ignored."""

    @property
    def error(self) -> WebSocketProtocolError | None:
        """The violation that stopped the decoder, or None."""

    @property
    def closed(self) -> bool:
        """True once a close frame was decoded."""

    @property
    def max_message_size(self) -> int: ...
    @property
    def buffered(self) -> int:
        """Bytes of unfinished frames and messages held in memory."""

@final
class UpgradeRequest:
    """A validated WebSocket upgrade request."""

    @property
    def method(self) -> str: ...
    @property
    def target(self) -> str:
        """Path and query as sent."""

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """Every header in order, names lower-cased."""

    @property
    def subprotocols(self) -> list[str]: ...
    @property
    def accept(self) -> str:
        """The Sec-WebSocket-Accept value for the 101 response."""

def parse_upgrade_request(head: bytes) -> UpgradeRequest:
    """Parses and validates an HTTP/1.1 upgrade request head (request line and headers);
    raises WebSocketHandshakeError."""

def websocket_accept(key: str) -> str:
    """Sec-WebSocket-Accept for a key; ValueError unless it is base64 of exactly 16 bytes."""

def encode_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """One unmasked server frame; ValueError for an unknown opcode or a fragmented or
    oversized (> 125 bytes) control frame. Text payloads must be UTF-8 (not checked)."""

def encode_text(text: str) -> bytes:
    """A whole text message as one frame."""

def encode_binary(data: bytes) -> bytes:
    """A whole binary message as one frame."""

def encode_close(code: int, reason: str = "") -> bytes:
    """A close frame; the reason is cut to 123 bytes at a character boundary. ValueError
    for a code that may not be sent (outside 1000-1003, 1007-1014, 3000-4999)."""

# --- signatures and licences (rust/sign) ---
# Key id rule: "ed25519:" + the first 16 lower-case hex digits of sha256(raw 32-byte public
# key). Public keys may be given raw (32 bytes), as PEM SPKI or DER SPKI; private keys as
# unencrypted PKCS#8 (PEM or DER). Verification is always RFC 8032 strict.

class SignatureError(ValueError):
    """A malformed key, signed document or argument (never a failed verification)."""

GENESIS_HASH: str
"""`prev_hash` of the first audit entry: "sha256:" followed by 64 zeros."""

LICENSE_MAX_DOCUMENT_BYTES: int

def sha256_tagged(data: bytes) -> str:
    """`"sha256:" + hex(sha256(data))`."""

def ed25519_public_key(public_key: bytes) -> bytes:
    """The raw 32-byte form of a public key (raw, PEM or DER SPKI); SignatureError if it is
    malformed or weak."""

def ed25519_public_key_from_private(private_key: bytes) -> bytes:
    """The raw 32-byte public key of a PKCS#8 private key."""

def ed25519_private_key_from_seed(seed: bytes) -> bytes:
    """A PKCS#8 PEM private key for a 32-byte seed from a CSPRNG (`os.urandom(32)`)."""

def ed25519_public_key_pem(public_key: bytes) -> bytes:
    """The PEM SubjectPublicKeyInfo of a public key (any accepted encoding)."""

def ed25519_key_id(public_key: bytes) -> str:
    """The key id of a public key (any accepted encoding)."""

def ed25519_sign(private_key: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `message`."""

def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Strict verification: False for any wrong signature (including wrong length);
    SignatureError only for a malformed key."""

def audit_entry_hash(entry_json: bytes) -> str:
    """The "sha256:" + hex digest over the canonical JSON of the entry without `hash` and `sig`."""

def audit_seal_entry(entry_json: bytes, signature: bytes) -> bytes:
    """Canonical JSON of the entry with `hash` set and `sig` = base64url(signature), for a
    signature made (by an HSM) over `audit_entry_hash(entry_json).encode("ascii")`."""

def audit_sign_entry(entry_json: bytes, private_key: bytes) -> bytes:
    """Canonical JSON of the entry hashed and signed with a PKCS#8 key; `key_id` is filled
    in with the key's id when absent."""

@final
class AuditChainReport:
    """Outcome of `verify_audit_chain`."""

    @property
    def ok(self) -> bool: ...
    @property
    def checked(self) -> int:
        """Entries that verified before the first failure (all of them when ok)."""
    @property
    def head_hash(self) -> str | None:
        """`hash` of the last entry that verified."""
    @property
    def first_bad_seq(self) -> int | None:
        """The seq the first failing entry should have had (start_seq + its position)."""
    @property
    def reason(self) -> str | None:
        """Why that entry failed (short English text, no entry content)."""
    def to_dict(self) -> dict[str, bool | int | str | None]:
        """{"ok", "checked", "head_hash", "first_bad_seq"} as in CONTRACT §7.3."""

def verify_audit_chain(
    entries: list[bytes],
    public_keys: dict[str, bytes],
    start_prev_hash: str | None = None,
    start_seq: int = 0,
    expected_head_hash: str | None = None,
) -> AuditChainReport:
    """Verifies entries in order, GIL released: seq = previous + 1, prev_hash = previous
    hash, hash recomputed, sig under `public_keys[key_id]`. From the log's start by default
    (first entry seq 1, prev_hash GENESIS_HASH); a slice starts after the entry
    (`start_seq`, `start_prev_hash`). `expected_head_hash` also detects a cut-off tail.
    SignatureError for a malformed key or start hash."""

@final
class LicenseStatus:
    """Outcome of `verify_license`; payload fields are None when state is "invalid"."""

    @property
    def state(self) -> str:
        """valid, grace, expired, not_yet_valid, invalid or hardware_mismatch."""
    @property
    def reason(self) -> str | None:
        """Short text for every state but valid."""
    @property
    def usable(self) -> bool:
        """True for valid and grace."""
    @property
    def key_id(self) -> str | None: ...
    @property
    def license_id(self) -> str | None: ...
    @property
    def licensee(self) -> str | None: ...
    @property
    def edition(self) -> str | None: ...
    @property
    def seats(self) -> int | None: ...
    @property
    def features(self) -> list[str] | None: ...
    @property
    def issued_at(self) -> str | None: ...
    @property
    def not_before(self) -> str | None: ...
    @property
    def expires_at(self) -> str | None: ...
    @property
    def grace_days(self) -> int | None: ...
    @property
    def grace_until(self) -> str | None:
        """expires_at + grace_days days (RFC 3339 UTC)."""
    @property
    def hardware_id(self) -> str | None: ...
    @property
    def hardware_bound(self) -> bool: ...

def verify_license(
    document_json: bytes,
    vendor_keys: dict[str, bytes],
    now: int,
    hardware_serial: str | None = None,
) -> LicenseStatus:
    """Verifies a licence document at `now` (Unix seconds) for the HSM token with serial
    `hardware_serial`. Never raises for a bad document (state "invalid"); SignatureError
    for a malformed vendor key."""

def sign_license(payload_json: bytes, private_key: bytes) -> bytes:
    """The licence document (canonical JSON) for a payload signed with a PKCS#8 key;
    SignatureError if the payload breaks the §8.1 format rules."""

def license_signing_input(payload_json: bytes) -> bytes:
    """The canonical payload bytes to sign (with an HSM); SignatureError on a bad payload."""

def assemble_license(payload_json: bytes, signature: bytes, key_id: str) -> bytes:
    """The licence document for a payload and its 64-byte signature."""

# --- world generation (rust/worldgen) ---

ENGINE_VERSION: str
"""Version of the generator; a world is a pure function of (seed, params, ENGINE_VERSION)."""
BIOMES: list[str]
"""Values of the `biome` param: temperate, desert, arctic, tropical, volcanic, swamp,
highlands, archipelago."""
WEATHER_CONDITIONS: list[str]
ENTITY_TYPES: list[str]
TILE_TYPES: list[str]
"""Legend of `world.tiles`: letter `a` is TILE_TYPES[0], `b` TILE_TYPES[1], ..."""
POI_KINDS: list[str]
BEHAVIOUR_MODES: list[str]
MISSION_KINDS: list[str]
FACTION_STANCES: list[str]
OVERRIDE_OPS: list[str]
MAX_ENTITIES: int
"""A spawn that would bring the world above this many entities is refused."""
MAX_OPS_PER_BATCH: int

class WorldParamsError(ValueError):
    """A seed or world parameter is invalid. str(e) is "<field>: <message>"."""

    field: str
    message: str

class OverrideError(ValueError):
    """An override op is invalid; nothing was applied. `index` is the op's position in the
    list, None when the list itself is wrong (then `field` is "ops"); `field` is the path
    inside the op ("entity_id", "to.x", or "" for the op as a whole)."""

    index: int | None
    field: str
    message: str

class WorldDocumentError(ValueError):
    """The world bytes are not a document this engine version wrote."""

def normalize_params(params_json: bytes) -> bytes:
    """Validates a params object, fills defaults (width/height 64, biome temperate,
    density 0.5, hostile_ratio 0.3, difficulty 0.5; ratios rounded to 1e-6) and returns
    its canonical JSON. Raises WorldParamsError."""

def generate_world(seed: int, params_json: bytes) -> tuple[bytes, str, dict[str, int]]:
    """(canonical world bytes, "sha256:<hex>", {"tiles", "pois", "entities", "factions"}).
    `seed` is 0..2**63-1; params as for normalize_params. Runs without the GIL.
    Raises WorldParamsError."""

def apply_overrides(world: bytes, ops_json: bytes) -> tuple[bytes, str, bytes]:
    """Applies a JSON array of ops (CONTRACT §5.5) all-or-nothing and returns
    (new canonical world bytes, checksum, canonical changes JSON). Runs without the GIL.
    Raises OverrideError (bad ops) or WorldDocumentError (bad world bytes)."""

def world_checksum(world: bytes) -> str:
    """Checksum of the bytes given, "sha256:" + lowercase hex; the bytes are not validated."""

# --- engine exports (rust/export) ---
EXPORT_FORMAT_VERSION: str
"""Version of the engine files' layout (every engine's `format_version`)."""

class ExportError(ValueError):
    """A world cannot be exported or an archive cannot be written. `kind` is "document"
    (the world bytes are not an exportable document), "engine" (unknown engine id) or
    "archive" (an unsafe or duplicate path, or a size a ZIP without ZIP64 cannot hold)."""

    kind: str

@type_check_only
class EngineInfo(TypedDict):
    id: str
    name: str
    format_version: str
    files: list[str]

def export_engines() -> list[EngineInfo]:
    """The nine export targets of CONTRACT §9.1, in a fixed order; `files` are the paths
    an engine's bundle holds besides the common files, in bundle order."""

def export_engine_files(world: bytes, engine: str) -> list[tuple[str, bytes]]:
    """[(path, bytes)] of `engine`'s import files for a world document (the bytes
    generate_world/apply_overrides return), in `files` order; deterministic. Runs without
    the GIL. Raises ExportError."""

def export_document_files(world: bytes) -> list[tuple[str, bytes]]:
    """[("world.json", ...), ("entities.json", ...), ("narrative.json", ...)]: the
    document's three members as canonical JSON. Raises ExportError."""

def zip_archive(entries: Sequence[tuple[str, bytes]], *, stored_alignment: int | None = None) -> bytes:
    """A deterministic ZIP of the entries in the order given: fixed 1980-01-01 times,
    mode 0644, UTF-8 names, deflate level 1 (stored for .png/.usdz and when deflate does
    not help), no ZIP64. With `stored_alignment` (1..4096) every entry is stored and its
    data aligned to that many bytes (USDZ: 64). Refuses absolute paths, `..`/`.`/empty
    segments, backslashes and duplicates. Runs without the GIL. Raises ExportError."""

def export_glb(world: bytes) -> bytes:
    """The terrain and POI/NPC marker nodes as glTF 2.0 binary (the Blender/WebGPU file).
    Raises ExportError."""

def export_usdz(world: bytes) -> bytes:
    """The visionOS USDZ package (a `world.usda` layer, stored, 64-byte aligned).
    Raises ExportError."""

def png_gray16(width: int, height: int, samples_le: bytes) -> bytes:
    """A 16-bit grayscale PNG of width*height little-endian uint16 samples, row 0 at the
    top. Raises ExportError."""
