"""Typed settings, read once from the environment.

Every variable pacai reads is declared here with its documentation (``VARIABLES``); the
``.env.example`` file lists exactly these and a test keeps the two in step. A bad value
never starts a half-configured server: :func:`load_settings` collects one clear line per
bad variable and raises :class:`SettingsError` with all of them.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import msgspec

from pacai.ratelimit.config import DEFAULT_RATE_LIMITS, parse_rate_limits

RATE_LIMIT_DEFAULTS = dict(DEFAULT_RATE_LIMITS)

Environment = Literal["development", "test", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "test", "production")

T = TypeVar("T")
C = TypeVar("C", bound=str)
NO_STRINGS: tuple[str, ...] = ()
NO_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()


class SettingsError(Exception):
    """One or more variables are invalid; ``problems`` has one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    doc: str
    secret: bool = False


def _vars(*items: Variable) -> dict[str, Variable]:
    return {v.name: v for v in items}


# The one list of everything pacai reads from the environment.
VARIABLES: dict[str, Variable] = _vars(
    Variable("PACAI_ENV", "development, test or production (default development)."),
    Variable("HOST", "Interface to listen on (default 127.0.0.1; 0.0.0.0 in production)."),
    Variable("PORT", "TCP port (default 5000; 8080 in production)."),
    Variable("PACAI_WORKERS", "Server worker processes (default 1; more than one needs REDIS_URL)."),
    Variable(
        "PACAI_DATA_DIR",
        "Data directory: embedded database, audit files, keys (default ./data; /data in production).",
    ),
    Variable("PACAI_MAX_BODY_BYTES", "Largest accepted request body in bytes (default 1048576)."),
    Variable(
        "PACAI_CORS_ORIGINS",
        "Comma-separated exact origins allowed by CORS and WebSocket checks; '*' is refused in production.",
    ),
    Variable(
        "PACAI_TRUSTED_PROXIES",
        "Comma-separated IPs or CIDR networks whose X-Forwarded-For / Fly-Client-IP headers are believed.",
    ),
    Variable(
        "PACAI_REGISTRATION",
        "open or closed: whether POST /v5/auth/register creates accounts (default open).",
    ),
    Variable(
        "PACAI_DEMO_USERS",
        "Demo users (`pacai dev seed`) are in use: development only; production refuses to start with it on.",
    ),
    Variable(
        "DATABASE_URL",
        "PostgreSQL URL; unset = an embedded PostgreSQL in PACAI_DATA_DIR/postgres.",
        secret=True,
    ),
    Variable("PACAI_DB_POOL_MIN", "Minimum pooled database connections per process (default 2)."),
    Variable("PACAI_DB_POOL_MAX", "Maximum pooled database connections per process (default 10)."),
    Variable("PACAI_DB_TIMEOUT", "Seconds to wait for a database connection or statement (default 5)."),
    Variable(
        "REDIS_URL",
        "Redis URL for sessions, shared rate limits and events across instances; unset = process memory.",
        secret=True,
    ),
    Variable(
        "PACAI_REDIS_PREFIX",
        "Prefix of every Redis key and channel, so deployments can share a server (default pacai:).",
    ),
    Variable("PACAI_JWT_ALGORITHM", "HS256 or EdDSA (default HS256)."),
    Variable(
        "PACAI_JWT_SECRET",
        "HS256 signing secret, at least 32 bytes; required in production with HS256.",
        secret=True,
    ),
    Variable(
        "PACAI_JWT_PREVIOUS_SECRETS",
        "Comma-separated retired HS256 secrets that still verify during a rotation.",
        secret=True,
    ),
    Variable("PACAI_JWT_KEY_FILE", "EdDSA: PEM PKCS#8 Ed25519 private key file that signs access tokens."),
    Variable(
        "PACAI_JWT_PUBLIC_KEY_FILES",
        "EdDSA: comma-separated PEM public key files of retired keys that still verify.",
    ),
    Variable(
        "PACAI_JWT_SIGNER",
        "EdDSA signer: file (PACAI_JWT_KEY_FILE) or hsm (key PACAI_HSM_JWT_KEY_LABEL in the token).",
    ),
    Variable("PACAI_JWT_ISSUER", "Token issuer, `iss` (default pacai)."),
    Variable("PACAI_JWT_AUDIENCE", "Token audience, `aud` (default pacai-api)."),
    Variable("PACAI_JWT_LEEWAY", "Clock leeway in seconds for exp/nbf/iat, 0..60 (default 30)."),
    Variable("PACAI_ACCESS_TOKEN_TTL", "Access token lifetime in seconds (default 900)."),
    Variable(
        "PACAI_REFRESH_TOKEN_TTL",
        "Refresh token and session lifetime in seconds (default 1209600, 14 days).",
    ),
    Variable("PACAI_ARGON2_TIME_COST", "Argon2id iterations (default 3)."),
    Variable("PACAI_ARGON2_MEMORY_KIB", "Argon2id memory in KiB (default 65536)."),
    Variable("PACAI_ARGON2_PARALLELISM", "Argon2id lanes (default 4)."),
    Variable(
        "PACAI_RATE_LIMITS",
        "Overrides of the per-minute budgets, e.g. actions.free=5,login.ip=10 (see docs/api.md).",
    ),
    Variable(
        "PACAI_WS_IMPL",
        "WebSocket protocol: pacai (the Rust codec, default), websockets-sansio, websockets or wsproto.",
    ),
    Variable("PACAI_WS_MAX_MESSAGE", "Largest WebSocket message in bytes (default 65536)."),
    Variable(
        "PACAI_WS_QUEUE",
        "Outgoing WebSocket messages queued per connection before it is closed with 1013 (default 256).",
    ),
    Variable(
        "PACAI_WS_PING_INTERVAL",
        "Seconds between server pings; a peer that does not answer within as long is closed (default 20).",
    ),
    Variable(
        "PACAI_AUDIT_KEY_FILE",
        "PEM PKCS#8 Ed25519 audit signing key (made in development; required in production unless the HSM signs).",
    ),
    Variable(
        "PACAI_AUDIT_KEY",
        "The same key as PEM text, for platforms that hand keys over as secrets "
        '(fly secrets set PACAI_AUDIT_KEY="$(cat audit.pem)"); "\\n" stands for a line break; '
        "set this or PACAI_AUDIT_KEY_FILE, not both.",
        secret=True,
    ),
    Variable(
        "PACAI_AUDIT_SIGNER",
        "Audit signer: file (PACAI_AUDIT_KEY_FILE) or hsm (key PACAI_HSM_AUDIT_KEY_LABEL in the token).",
    ),
    Variable(
        "PACAI_HSM_MODULE",
        "PKCS#11 module path of the primary HSM (YubiHSM 2, Nitrokey 3, SoftHSM2).",
    ),
    Variable("PACAI_HSM_TOKEN", "Token label of the primary HSM."),
    Variable("PACAI_HSM_PIN", "User PIN of the primary HSM (prefer PACAI_HSM_PIN_FILE).", secret=True),
    Variable("PACAI_HSM_PIN_FILE", "File holding the user PIN of the primary HSM."),
    Variable("PACAI_HSM_FALLBACK_MODULE", "PKCS#11 module path of the fallback HSM."),
    Variable("PACAI_HSM_FALLBACK_TOKEN", "Token label of the fallback HSM."),
    Variable("PACAI_HSM_FALLBACK_PIN", "User PIN of the fallback HSM.", secret=True),
    Variable("PACAI_HSM_FALLBACK_PIN_FILE", "File holding the user PIN of the fallback HSM."),
    Variable(
        "PACAI_HSM_AUDIT_KEY_LABEL",
        "Label of the audit signing key in the token (default pacai-audit).",
    ),
    Variable(
        "PACAI_HSM_JWT_KEY_LABEL",
        "Label of the EdDSA access-token key in the token (default pacai-jwt).",
    ),
    Variable(
        "PACAI_LICENSE_PUBLIC_KEYS",
        "Comma-separated PEM files of the vendor's licence public keys.",
    ),
    Variable(
        "PACAI_LICENSE_ENFORCE",
        "Refuse generation/overrides/exports without a valid licence (default on in production, off otherwise).",
    ),
    Variable(
        "PACAI_LOG_LEVEL",
        "debug, info, warning or error (default info; debug is refused in production).",
    ),
    Variable("PACAI_LOG_FORMAT", "json or console (default json in production, console otherwise)."),
    Variable("SENTRY_DSN", "Sentry DSN; unset = Sentry is not loaded at all.", secret=True),
    Variable("SENTRY_TRACES_SAMPLE_RATE", "Share of requests traced by Sentry, 0..1 (default 0)."),
)


class ServerSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str
    port: int
    workers: int
    data_dir: Path
    max_body_bytes: int
    cors_origins: tuple[str, ...]
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    registration_open: bool
    demo_users: bool


class DatabaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str | None
    pool_min: int
    pool_max: int
    timeout: float


class RedisSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str | None
    prefix: str


class AuthSettings(msgspec.Struct, frozen=True, kw_only=True):
    algorithm: Literal["HS256", "EdDSA"]
    secret: str | None
    previous_secrets: tuple[str, ...]
    key_file: Path | None
    public_key_files: tuple[Path, ...]
    signer: Literal["file", "hsm"]
    issuer: str
    audience: str
    leeway: int
    access_ttl: int
    refresh_ttl: int
    argon2_time_cost: int
    argon2_memory_kib: int
    argon2_parallelism: int


class RateLimitSettings(msgspec.Struct, frozen=True, kw_only=True):
    per_minute: dict[str, int]


class WebSocketSettings(msgspec.Struct, frozen=True, kw_only=True):
    implementation: Literal["pacai", "websockets-sansio", "websockets", "wsproto"]
    max_message: int
    queue: int
    ping_interval: float


class HsmTokenSettings(msgspec.Struct, frozen=True, kw_only=True):
    module: str
    token: str
    pin: str


class HsmSettings(msgspec.Struct, frozen=True, kw_only=True):
    primary: HsmTokenSettings | None
    fallback: HsmTokenSettings | None
    audit_key_label: str
    jwt_key_label: str


class AuditSettings(msgspec.Struct, frozen=True, kw_only=True):
    key_file: Path | None
    key_pem: str | None
    signer: Literal["file", "hsm"]

    @property
    def key_given(self) -> bool:
        """The file signer's key was configured, as a file or as PEM text."""
        return self.key_file is not None or self.key_pem is not None


class LicenseSettings(msgspec.Struct, frozen=True, kw_only=True):
    public_key_files: tuple[Path, ...]
    enforce: bool


class LoggingSettings(msgspec.Struct, frozen=True, kw_only=True):
    level: Literal["debug", "info", "warning", "error"]
    format: Literal["json", "console"]


class SentrySettings(msgspec.Struct, frozen=True, kw_only=True):
    dsn: str | None
    traces_sample_rate: float


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Environment
    server: ServerSettings
    database: DatabaseSettings
    redis: RedisSettings
    auth: AuthSettings
    rate_limits: RateLimitSettings
    websocket: WebSocketSettings
    hsm: HsmSettings
    audit: AuditSettings
    license: LicenseSettings
    logging: LoggingSettings
    sentry: SentrySettings

    @property
    def is_production(self) -> bool:
        return self.env == "production"


# --- parsing -------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected one of true/false, yes/no, on/off, 1/0")


def parse_csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _int_parser(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected a whole number from {lo} to {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"expected a whole number from {lo} to {hi}, got {value}")
        return value

    return parse


def _float_parser(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"expected a number from {lo:g} to {hi:g}") from None
        if not lo <= value <= hi:
            raise ValueError(f"expected a number from {lo:g} to {hi:g}, got {value:g}")
        return value

    return parse


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")


def parse_origins(raw: str) -> tuple[str, ...]:
    origins = parse_csv(raw)
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ValueError(f"{origin!r} is not an exact origin like https://app.example.com")
    return origins


def parse_networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in parse_csv(raw):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _url_parser(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.hostname or "host=" in parts.query):
            raise ValueError(f"expected a {'/'.join(schemes)}:// URL with a host")
        return value

    return parse


def mask_url(url: str | None) -> str | None:
    """The URL with its password replaced, for logs and `pacai config check`."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class _Reader:
    """Reads variables, remembering each effective value and every problem."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []
        self.effective: dict[str, object] = {}

    def raw(self, name: str) -> str | None:
        assert name in VARIABLES, f"{name} is not declared in VARIABLES"
        value = self.environ.get(name)
        return None if value is None or value.strip() == "" else value

    def get(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.raw(name)
        value = default
        if raw is not None:
            try:
                value = parse(raw)
            except ValueError as exc:
                message = str(exc).removeprefix(f"{name}: ")
                self.problems.append(f"{name}: {message}")
        self.effective[name] = value
        return value

    def choice(self, name: str, default: C, *choices: C) -> C:
        """One of a fixed set of words (case-insensitive)."""
        raw = self.raw(name)
        value = default
        if raw is not None:
            folded = raw.strip().lower()
            matches = [c for c in choices if c.lower() == folded]
            if matches:
                value = matches[0]
            else:
                self.problems.append(f"{name}: expected one of {', '.join(choices)}")
        self.effective[name] = value
        return value

    def text(self, name: str, default: str | None = None) -> str | None:
        raw = self.raw(name)
        value = raw.strip() if raw is not None else default
        self.effective[name] = value
        return value

    def path(self, name: str, default: Path | None = None) -> Path | None:
        raw = self.raw(name)
        value = Path(raw.strip()) if raw is not None else default
        self.effective[name] = value
        return value

    def secret_or_file(self, name: str, file_name: str) -> str | None:
        """A secret given inline or in a file (the file wins if both are set)."""
        inline = self.text(name)
        path = self.path(file_name)
        if path is None:
            return inline
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            self.problems.append(f"{file_name}: cannot read {path}: {exc.strerror}")
            return None


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a development .env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def effective_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment, plus a ./.env file in development (real variables win)."""
    env = dict(os.environ if environ is None else environ)
    if env.get("PACAI_ENV", "development").strip().lower() == "development":
        dotenv = Path(".env")
        if dotenv.is_file():
            for key, value in read_dotenv(dotenv).items():
                env.setdefault(key, value)
    return env


def _read(environ: Mapping[str, str]) -> tuple[Settings | None, _Reader]:
    r = _Reader(environ)
    env: Environment = r.choice("PACAI_ENV", "development", *ENVIRONMENTS)
    prod = env == "production"

    server = ServerSettings(
        host=r.text("HOST", "0.0.0.0" if prod else "127.0.0.1") or "127.0.0.1",  # noqa: S104
        port=r.get("PORT", _int_parser(1, 65535), 8080 if prod else 5000),
        workers=r.get("PACAI_WORKERS", _int_parser(1, 64), 1),
        data_dir=r.path("PACAI_DATA_DIR", Path("/data") if prod else Path("data")) or Path("data"),
        max_body_bytes=r.get("PACAI_MAX_BODY_BYTES", _int_parser(1024, 64 * 1024 * 1024), 1024 * 1024),
        cors_origins=r.get("PACAI_CORS_ORIGINS", parse_origins, NO_STRINGS),
        trusted_proxies=r.get("PACAI_TRUSTED_PROXIES", parse_networks, NO_NETWORKS),
        registration_open=r.choice("PACAI_REGISTRATION", "open", "open", "closed") == "open",
        demo_users=r.get("PACAI_DEMO_USERS", parse_bool, False),
    )
    database = DatabaseSettings(
        url=r.get("DATABASE_URL", _url_parser("postgres", "postgresql"), None),
        pool_min=r.get("PACAI_DB_POOL_MIN", _int_parser(0, 100), 2),
        pool_max=r.get("PACAI_DB_POOL_MAX", _int_parser(1, 200), 10),
        timeout=r.get("PACAI_DB_TIMEOUT", _float_parser(0.1, 120), 5.0),
    )
    redis = RedisSettings(
        url=r.get("REDIS_URL", _url_parser("redis", "rediss", "unix"), None),
        prefix=r.text("PACAI_REDIS_PREFIX", "pacai:") or "pacai:",
    )

    algorithm: Literal["HS256", "EdDSA"] = r.choice("PACAI_JWT_ALGORITHM", "HS256", "HS256", "EdDSA")
    secret = r.text("PACAI_JWT_SECRET")
    if secret is not None and len(secret.encode()) < 32:
        r.problems.append("PACAI_JWT_SECRET: must be at least 32 bytes")
    previous = r.get("PACAI_JWT_PREVIOUS_SECRETS", parse_csv, NO_STRINGS)
    if any(len(s.encode()) < 32 for s in previous):
        r.problems.append("PACAI_JWT_PREVIOUS_SECRETS: every secret must be at least 32 bytes")
    auth = AuthSettings(
        algorithm=algorithm,
        secret=secret,
        previous_secrets=previous,
        key_file=r.path("PACAI_JWT_KEY_FILE"),
        public_key_files=tuple(Path(p) for p in r.get("PACAI_JWT_PUBLIC_KEY_FILES", parse_csv, NO_STRINGS)),
        signer=r.choice("PACAI_JWT_SIGNER", "file", "file", "hsm"),
        issuer=r.text("PACAI_JWT_ISSUER", "pacai") or "pacai",
        audience=r.text("PACAI_JWT_AUDIENCE", "pacai-api") or "pacai-api",
        leeway=r.get("PACAI_JWT_LEEWAY", _int_parser(0, 60), 30),
        access_ttl=r.get("PACAI_ACCESS_TOKEN_TTL", _int_parser(30, 86400), 900),
        refresh_ttl=r.get("PACAI_REFRESH_TOKEN_TTL", _int_parser(300, 365 * 86400), 14 * 86400),
        argon2_time_cost=r.get("PACAI_ARGON2_TIME_COST", _int_parser(1, 20), 3),
        argon2_memory_kib=r.get("PACAI_ARGON2_MEMORY_KIB", _int_parser(8, 4 * 1024 * 1024), 65536),
        argon2_parallelism=r.get("PACAI_ARGON2_PARALLELISM", _int_parser(1, 64), 4),
    )
    rate_limits = RateLimitSettings(per_minute=r.get("PACAI_RATE_LIMITS", parse_rate_limits, parse_rate_limits(None)))
    websocket = WebSocketSettings(
        implementation=r.choice("PACAI_WS_IMPL", "pacai", "pacai", "websockets-sansio", "websockets", "wsproto"),
        max_message=r.get("PACAI_WS_MAX_MESSAGE", _int_parser(125, 16 * 1024 * 1024), 65536),
        queue=r.get("PACAI_WS_QUEUE", _int_parser(1, 100_000), 256),
        ping_interval=r.get("PACAI_WS_PING_INTERVAL", _float_parser(0.05, 3600), 20.0),
    )

    def token(prefix: str) -> HsmTokenSettings | None:
        module = r.text(f"{prefix}_MODULE")
        label = r.text(f"{prefix}_TOKEN")
        pin = r.secret_or_file(f"{prefix}_PIN", f"{prefix}_PIN_FILE")
        if module is None and label is None:
            return None
        if module is None or label is None or pin is None:
            r.problems.append(f"{prefix}_MODULE, {prefix}_TOKEN and a PIN must be set together")
            return None
        return HsmTokenSettings(module=module, token=label, pin=pin)

    hsm = HsmSettings(
        primary=token("PACAI_HSM"),
        fallback=token("PACAI_HSM_FALLBACK"),
        audit_key_label=r.text("PACAI_HSM_AUDIT_KEY_LABEL", "pacai-audit") or "pacai-audit",
        jwt_key_label=r.text("PACAI_HSM_JWT_KEY_LABEL", "pacai-jwt") or "pacai-jwt",
    )
    audit_key_pem = r.text("PACAI_AUDIT_KEY") or None
    audit = AuditSettings(
        key_file=r.path("PACAI_AUDIT_KEY_FILE"),
        # A secret store may keep a PEM on one line with its breaks written as "\n".
        key_pem=audit_key_pem.replace("\\n", "\n") if audit_key_pem else None,
        signer=r.choice("PACAI_AUDIT_SIGNER", "file", "file", "hsm"),
    )
    license_settings = LicenseSettings(
        public_key_files=tuple(Path(p) for p in r.get("PACAI_LICENSE_PUBLIC_KEYS", parse_csv, NO_STRINGS)),
        enforce=r.get("PACAI_LICENSE_ENFORCE", parse_bool, prod),
    )
    logging_settings = LoggingSettings(
        level=r.choice("PACAI_LOG_LEVEL", "info", "debug", "info", "warning", "error"),
        format=r.choice("PACAI_LOG_FORMAT", "json" if prod else "console", "json", "console"),
    )
    sentry = SentrySettings(
        dsn=r.text("SENTRY_DSN"),
        traces_sample_rate=r.get("SENTRY_TRACES_SAMPLE_RATE", _float_parser(0, 1), 0.0),
    )

    _check_consistency(r, env, server, database, redis, auth, hsm, audit, logging_settings, sentry)
    if r.problems:
        return None, r
    settings = Settings(
        env=env,
        server=server,
        database=database,
        redis=redis,
        auth=auth,
        rate_limits=rate_limits,
        websocket=websocket,
        hsm=hsm,
        audit=audit,
        license=license_settings,
        logging=logging_settings,
        sentry=sentry,
    )
    return settings, r


def _check_consistency(
    r: _Reader,
    env: Environment,
    server: ServerSettings,
    database: DatabaseSettings,
    redis: RedisSettings,
    auth: AuthSettings,
    hsm: HsmSettings,
    audit: AuditSettings,
    logging_settings: LoggingSettings,
    sentry: SentrySettings,
) -> None:
    """Rules that span variables, and the production refusals of ARCHITECTURE.md."""
    if database.pool_min > database.pool_max:
        r.problems.append("PACAI_DB_POOL_MIN: must not exceed PACAI_DB_POOL_MAX")
    if server.workers > 1 and redis.url is None:
        r.problems.append(
            "PACAI_WORKERS: more than one worker needs REDIS_URL (sessions, limits and events "
            "would otherwise be private to each worker)"
        )
    if auth.algorithm == "EdDSA" and auth.signer == "file" and auth.key_file is None:
        r.problems.append("PACAI_JWT_KEY_FILE: required when PACAI_JWT_ALGORITHM=EdDSA signs with a file")
    if auth.signer == "hsm" and hsm.primary is None:
        r.problems.append("PACAI_JWT_SIGNER: hsm needs PACAI_HSM_MODULE, PACAI_HSM_TOKEN and a PIN")
    if audit.signer == "hsm" and hsm.primary is None:
        r.problems.append("PACAI_AUDIT_SIGNER: hsm needs PACAI_HSM_MODULE, PACAI_HSM_TOKEN and a PIN")
    if sentry.dsn and importlib.util.find_spec("sentry_sdk") is None:
        r.problems.append("SENTRY_DSN: set, but sentry-sdk is not installed (pip install 'pacai[sentry]')")
    if audit.key_file is not None and audit.key_pem is not None:
        r.problems.append("PACAI_AUDIT_KEY: set it or PACAI_AUDIT_KEY_FILE, not both")
    if env != "production":
        return
    if auth.algorithm == "HS256" and auth.secret is None:
        r.problems.append("PACAI_JWT_SECRET: required in production (at least 32 random bytes)")
    if "*" in server.cors_origins:
        r.problems.append("PACAI_CORS_ORIGINS: a wildcard origin is refused in production; list exact origins")
    if server.demo_users:
        r.problems.append("PACAI_DEMO_USERS: demo users are refused in production")
    if logging_settings.level == "debug":
        r.problems.append("PACAI_LOG_LEVEL: debug logging is refused in production")
    if audit.signer == "file" and not audit.key_given:
        r.problems.append(
            "PACAI_AUDIT_KEY_FILE: required in production (or PACAI_AUDIT_KEY, or PACAI_AUDIT_SIGNER=hsm)"
        )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Parses and validates the settings; raises SettingsError listing every bad variable."""
    settings, reader = _read(effective_environ(environ))
    if settings is None:
        raise SettingsError(reader.problems)
    return settings


def describe_settings(environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Effective value of every variable (secrets masked) and the problems, for `config check`."""
    _, reader = _read(effective_environ(environ))
    shown: dict[str, str] = {}
    for name, var in VARIABLES.items():
        value = reader.effective.get(name)
        if value is None or value == ():
            text = "(unset)"
        elif name in {"DATABASE_URL", "REDIS_URL"}:
            text = mask_url(str(value)) or ""
        elif var.secret:
            text = "***"
        elif isinstance(value, tuple):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            text = ",".join(f"{k}={v}" for k, v in value.items())
        else:
            text = str(value)
        shown[name] = text
    return shown, reader.problems


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
