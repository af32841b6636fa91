"""HSM key custody over PKCS#11 (CONTRACT §8.4): Ed25519 keys that never leave the token.

`HsmSigner` signs with one token's key; `FailoverSigner` adds a fallback token. All calls
block (PKCS#11 is synchronous): run them in a worker thread from async code.
"""

from pacai.hsm.config import HsmConfig, HsmConfigError
from pacai.hsm.signer import (
    FailoverSigner,
    HsmError,
    HsmInfo,
    HsmKeyError,
    HsmSigner,
    HsmUnavailable,
    KeyInfo,
    SignResult,
)

__all__ = [
    "FailoverSigner",
    "HsmConfig",
    "HsmConfigError",
    "HsmError",
    "HsmInfo",
    "HsmKeyError",
    "HsmSigner",
    "HsmUnavailable",
    "KeyInfo",
    "SignResult",
]
