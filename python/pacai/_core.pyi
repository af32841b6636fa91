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
