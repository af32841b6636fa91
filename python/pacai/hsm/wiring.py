"""The token signers the settings ask for (PACAI_HSM_*, CONTRACT §8.4), and the serial of
the primary token that a hardware-bound licence is checked against (§8.2)."""

from __future__ import annotations

import asyncio
import sys

from pacai.hsm.config import HsmConfig
from pacai.hsm.signer import FailoverSigner, HsmError, HsmSigner
from pacai.observability.logging import get_logger
from pacai.settings import HsmTokenSettings, Settings

log = get_logger("pacai.hsm")


def hsm_config(token: HsmTokenSettings, key_label: str) -> HsmConfig:
    return HsmConfig(module_path=token.module, token_label=token.token, pin=token.pin, key_label=key_label)


def failover_signer(settings: Settings, key_label: str) -> FailoverSigner:
    """The primary token, and the fallback when one is configured. Blocks: PKCS#11."""
    primary = primary_signer(settings, key_label)
    fallback = HsmSigner(hsm_config(settings.hsm.fallback, key_label)) if settings.hsm.fallback else None
    return FailoverSigner(primary, fallback)


def audit_token_signer(settings: Settings) -> FailoverSigner | None:
    """The audit key's token pair when an HSM is configured; its primary's serial is the
    one a hardware-bound licence is checked against. Blocks: PKCS#11."""
    if settings.hsm.primary is None:
        return None
    return failover_signer(settings, settings.hsm.audit_key_label)


def primary_signer(settings: Settings, key_label: str) -> HsmSigner:
    assert settings.hsm.primary is not None
    return HsmSigner(hsm_config(settings.hsm.primary, key_label))


async def token_serial(hsm: FailoverSigner | None) -> str | None:
    """The running server's view: the serial of its primary token, None without one."""
    if hsm is None:
        return None
    try:
        return await asyncio.to_thread(hsm.primary.token_serial)
    except Exception as exc:  # noqa: BLE001 - without a serial a hardware-bound licence is a mismatch
        # HSM errors name the token and the PKCS#11 error class, never a PIN.
        log.warning("cannot read the HSM token serial", error=str(exc))
        return None


def server_serial(settings: Settings, given: str | None) -> str | None:
    """A command's view: --hardware-serial, else the serial of the configured primary token
    (what a running server uses). Blocks: PKCS#11."""
    if given is not None or settings.hsm.primary is None:
        return given
    signer = primary_signer(settings, settings.hsm.audit_key_label)
    try:
        return signer.token_serial()
    except HsmError as exc:
        print(f"pacai: cannot read the HSM token serial ({exc}); a bound licence will not match", file=sys.stderr)
        return None
    finally:
        signer.close()
