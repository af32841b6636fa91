"""`pacai serve`: prepares the database and runs uvicorn.

The parent process owns the embedded PostgreSQL (when DATABASE_URL is unset) and the
migrations, so that several workers share one database and never race on a migration.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

import uvicorn

from pacai.audit.signer import generate_key_file
from pacai.audit.wiring import development_key_path
from pacai.db import migrations
from pacai.db.embedded import EmbeddedPostgres
from pacai.observability.logging import configure_logging, get_logger
from pacai.settings import Settings, get_settings

log = get_logger("pacai.server")

WS_PROTOCOLS: dict[str, str] = {
    "pacai": "pacai.ws.uvicorn_protocol:PacaiWebSocketProtocol",
    "websockets-sansio": "websockets-sansio",
    "websockets": "websockets",
    "wsproto": "wsproto",
}


def ensure_secret_file(path: Path, nbytes: int = 48) -> str:
    """A development secret kept in the data dir (0600), made once and reused by every worker."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def prepare_environment(settings: Settings) -> None:
    """Development/test conveniences, decided once in the parent and inherited by workers."""
    secrets_dir = settings.server.data_dir / "secrets"
    if settings.auth.algorithm == "HS256" and settings.auth.secret is None and not settings.is_production:
        os.environ["PACAI_JWT_SECRET"] = ensure_secret_file(secrets_dir / "jwt-secret")
        log.info("using the development JWT secret from the data dir")
    if settings.audit.signer == "file" and not settings.audit.key_given and not settings.is_production:
        # Made here, once, so that several workers never race to create it.
        path = development_key_path(settings)
        if not path.exists():
            generate_key_file(path)
            log.info("generated a development audit key", path=str(path))
        os.environ["PACAI_AUDIT_KEY_FILE"] = str(path)


def preflight(settings: Settings) -> None:
    """Files named by the settings must be readable keys; one clear line each, before anything starts."""
    from pacai import _core

    problems: list[str] = []

    def check(name: str, path: Path | None, parse: Any) -> None:
        if path is None:
            return
        try:
            parse(path.read_bytes())
        except OSError as exc:
            problems.append(f"{name}: cannot read {path}: {exc.strerror}")
        except ValueError as exc:
            problems.append(f"{name}: {path} is not a usable key ({exc})")

    if settings.audit.signer == "file":
        check("PACAI_AUDIT_KEY_FILE", settings.audit.key_file, _core.ed25519_public_key_from_private)
        if settings.audit.key_pem is not None:
            try:
                _core.ed25519_public_key_from_private(settings.audit.key_pem.encode())
            except ValueError as exc:  # the message names the format, never the key's text
                problems.append(f"PACAI_AUDIT_KEY: not a usable key ({exc})")
    if settings.auth.algorithm == "EdDSA" and settings.auth.signer == "file":
        check("PACAI_JWT_KEY_FILE", settings.auth.key_file, _core.ed25519_public_key_from_private)
    for path in settings.auth.public_key_files:
        check("PACAI_JWT_PUBLIC_KEY_FILES", path, _core.ed25519_public_key)
    for path in settings.license.public_key_files:
        check("PACAI_LICENSE_PUBLIC_KEYS", path, _core.ed25519_public_key)
    if problems:
        for line in problems:
            print(f"pacai: configuration error: {line}", file=sys.stderr)
        raise SystemExit(1)


def refuse_demo_users(url: str) -> None:
    """Production never runs with demo accounts (CONTRACT §3.9), even ones seeded earlier."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM users WHERE is_demo AND NOT disabled").fetchone()
    if row and row[0]:
        raise SystemExit(
            f"pacai: refusing to start in production: {row[0]} demo user(s) are enabled; "
            'disable them with PATCH /v5/admin/users/{id} {"disabled": true} from a development instance'
        )


def ws_protocol(settings: Settings) -> str:
    name = settings.websocket.implementation
    if name == "pacai":
        try:
            import pacai.ws.uvicorn_protocol  # noqa: F401
        except ImportError:
            log.warning("pacai websocket protocol unavailable; using websockets-sansio")
            return "websockets-sansio"
    return WS_PROTOCOLS[name]


def _exit_cleanly_on_sigterm() -> None:
    """uvicorn re-raises SIGTERM after its graceful shutdown; turning it into SystemExit(0)
    lets `serve` stop the embedded database and exit with status 0."""

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def serve(
    settings: Settings | None = None,
    *,
    workers: int | None = None,
    port: int | None = None,
    host: str | None = None,
) -> None:
    settings = settings or get_settings()
    configure_logging(settings.logging)
    preflight(settings)
    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    embedded: EmbeddedPostgres | None = None
    url = settings.database.url
    try:
        if url is None:
            embedded = EmbeddedPostgres(settings.server.data_dir)
            url = embedded.start()
            os.environ["DATABASE_URL"] = url
        applied = migrations.upgrade(url)
        if applied:
            log.info("migrations applied", versions=[m.version for m in applied])
        if settings.is_production:
            refuse_demo_users(url)
        prepare_environment(settings)
        get_settings.cache_clear()
        config: dict[str, Any] = {
            "host": host or settings.server.host,
            "port": port or settings.server.port,
            "workers": workers or settings.server.workers,
            "factory": True,
            "lifespan": "on",
            "log_config": None,
            "access_log": False,
            "server_header": False,
            "proxy_headers": False,  # the edge middleware decides whom to trust (CONTRACT §4.5)
            "ws": ws_protocol(settings),
            "ws_max_size": settings.websocket.max_message,
            "ws_ping_interval": settings.websocket.ping_interval,
            "ws_ping_timeout": settings.websocket.ping_interval,
            "ws_per_message_deflate": False,
            "timeout_graceful_shutdown": 10,
            "timeout_keep_alive": 5,
            "http": "httptools",
            "loop": "uvloop",
        }
        log.info(
            "pacai serving",
            host=config["host"],
            port=config["port"],
            workers=config["workers"],
            environment=settings.env,
            database="embedded" if embedded else "external",
            redis="on" if settings.redis.url else "off",
        )
        _exit_cleanly_on_sigterm()
        uvicorn.run("pacai.app:create_app", **config)
    except KeyboardInterrupt:
        pass
    finally:
        if embedded is not None:
            embedded.stop()
