"""Type stub for the Rust extension module `pacai._core` (checked by mypy.stubtest)."""

from typing import final

__version__: str
build_profile: str

# --- canonical JSON (rust/canonical) ---
def canonicalize_json(data: bytes) -> bytes:
    """Canonical (RFC 8785) bytes of a JSON document; ValueError if it is not JSON or holds
    a number that cannot be represented exactly."""

def is_canonical_json(data: bytes) -> bool:
    """True when the bytes are already canonical JSON."""

# --- jwt (rust/jwt) ---

# --- rate limits (rust/ratelimit) ---

# --- websocket (rust/ws) ---

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
