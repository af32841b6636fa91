"""HSM settings: which PKCS#11 module, token, PIN and key label to use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_KEY_LABEL = "pacai-audit"


class HsmConfigError(ValueError):
    """An HSM setting is missing or malformed; the message names the variable, never a PIN."""


@dataclass(frozen=True)
class HsmConfig:
    """One token: `module_path` is the PKCS#11 library, `token_label` the token's label or
    serial number, `pin` the user PIN (kept out of repr), `key_label` the label of the
    Ed25519 key pair."""

    module_path: str
    token_label: str
    pin: str = field(repr=False)
    key_label: str = DEFAULT_KEY_LABEL

    def __post_init__(self) -> None:
        for name in ("module_path", "token_label", "pin", "key_label"):
            if not getattr(self, name):
                raise HsmConfigError(f"HSM setting {name} is empty")


def _pin(env: Mapping[str, str], prefix: str) -> str:
    pin = env.get(f"{prefix}_PIN")
    pin_file = env.get(f"{prefix}_PIN_FILE")
    if pin and pin_file:
        raise HsmConfigError(f"set only one of {prefix}_PIN and {prefix}_PIN_FILE")
    if pin_file:
        try:
            # Only the line break an editor adds is dropped: a PIN may contain blanks.
            text = Path(pin_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise HsmConfigError(f"{prefix}_PIN_FILE cannot be read ({exc.strerror})") from None
        if not text:
            raise HsmConfigError(f"{prefix}_PIN_FILE is empty")
        return text
    if not pin:
        raise HsmConfigError(f"{prefix}_PIN or {prefix}_PIN_FILE is required")
    return pin


def _one(env: Mapping[str, str], prefix: str, key_label: str) -> HsmConfig | None:
    module = env.get(f"{prefix}_MODULE")
    if not module:
        return None
    token = env.get(f"{prefix}_TOKEN")
    if not token:
        raise HsmConfigError(f"{prefix}_TOKEN is required when {prefix}_MODULE is set")
    return HsmConfig(module, token, _pin(env, prefix), key_label)


def hsm_configs_from_env(
    env: Mapping[str, str] | None = None,
) -> tuple[HsmConfig | None, HsmConfig | None]:
    """(primary, fallback) from PACAI_HSM_* and PACAI_HSM_FALLBACK_*; None where the module
    variable is unset. The key label (PACAI_HSM_KEY_LABEL) is shared unless
    PACAI_HSM_FALLBACK_KEY_LABEL says otherwise."""
    env = os.environ if env is None else env
    label = env.get("PACAI_HSM_KEY_LABEL") or DEFAULT_KEY_LABEL
    primary = _one(env, "PACAI_HSM", label)
    fallback_label = env.get("PACAI_HSM_FALLBACK_KEY_LABEL") or label
    fallback = _one(env, "PACAI_HSM_FALLBACK", fallback_label)
    if fallback is not None and primary is None:
        raise HsmConfigError("PACAI_HSM_FALLBACK_MODULE is set but PACAI_HSM_MODULE is not")
    return primary, fallback
