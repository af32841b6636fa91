"""One PKCS#11 token as the signer sees it: module, token, PIN and key label. Built from the
settings by `pacai.hsm.wiring`; the PIN is kept out of repr and messages."""

from __future__ import annotations

from dataclasses import dataclass, field


class HsmConfigError(ValueError):
    """An HSM setting is empty; the message names the setting, never a PIN."""


@dataclass(frozen=True)
class HsmConfig:
    """`module_path` is the PKCS#11 library, `token_label` the token's label or serial
    number, `pin` the user PIN, `key_label` the label of the Ed25519 key pair."""

    module_path: str
    token_label: str
    pin: str = field(repr=False)
    key_label: str

    def __post_init__(self) -> None:
        for name in ("module_path", "token_label", "pin", "key_label"):
            if not getattr(self, name):
                raise HsmConfigError(f"HSM setting {name} is empty")
