"""Type stub for the Rust extension module `pacai._core` (checked by mypy.stubtest)."""

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

# --- world generation (rust/worldgen) ---
