"""Choosing the audit signer from the settings, and attaching the log to the event sink."""

from __future__ import annotations

from pathlib import Path

from pacai.audit.log import AuditLog
from pacai.audit.signer import AuditSigner, FileSigner, HsmAuditSigner, generate_key_file
from pacai.db.database import Database
from pacai.events import EventSink
from pacai.hsm.signer import FailoverSigner
from pacai.hsm.wiring import failover_signer
from pacai.observability.logging import get_logger
from pacai.settings import Settings

log = get_logger("pacai.audit")


def development_key_path(settings: Settings) -> Path:
    return settings.server.data_dir / "keys" / "audit-ed25519.pem"


def audit_signer(settings: Settings, hsm: FailoverSigner | None = None) -> AuditSigner:
    """`hsm`, when given, is the process's audit-key token pair: sharing it means the health
    check sees every failure the audit writer meets."""
    if settings.audit.signer == "hsm":
        return HsmAuditSigner(hsm or failover_signer(settings, settings.hsm.audit_key_label))
    if settings.audit.key_pem is not None:
        return FileSigner(settings.audit.key_pem.encode())
    path = settings.audit.key_file
    if path is None:
        # Development and test only: production refuses to start without a key (settings).
        path = development_key_path(settings)
        if not path.exists():
            generate_key_file(path)
            log.info("generated a development audit key", path=str(path))
    return FileSigner.from_file(path)


async def attach_audit(
    settings: Settings, db: Database, events: EventSink, hsm: FailoverSigner | None = None
) -> AuditLog:
    audit = AuditLog(db, audit_signer(settings, hsm), settings.server.data_dir)
    events.add_writer(audit.write)
    return audit
