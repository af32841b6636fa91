"""Access tokens: issued and verified by the Rust core (`pacai._core.TokenCodec`).

Every rule of CONTRACT §3.8 but one is enforced inside one Rust call; the remaining one,
that `sid` names an active session of `sub`, is the session store's job.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

from pacai import _core
from pacai.hsm.signer import FailoverSigner
from pacai.settings import AuthSettings

TokenError = _core.TokenError


def hs256_kid(secret: bytes) -> str:
    """A stable id for an HMAC secret that reveals nothing usable about it."""
    return "hs256-" + hashlib.sha256(b"pacai-kid:" + secret).hexdigest()[:16]


class TokenService:
    """Issues and verifies access tokens.

    HS256 and EdDSA with a key file sign in the core. EdDSA with an HSM signs in the token
    (the private key never leaves it): the core builds the signing input, the HSM signs it,
    the core assembles and checks the token. With a fallback token the `kid` names whichever
    key signed; both verify.
    """

    def __init__(self, settings: AuthSettings, hsm: FailoverSigner | None = None) -> None:
        self.settings = settings
        self.ttl = settings.access_ttl
        self.hsm = hsm
        keys: list[tuple[str, bytes]] = []
        signing_kid: str
        if settings.algorithm == "HS256":
            if settings.secret is None:
                raise ValueError("PACAI_JWT_SECRET is not set")
            current = settings.secret.encode()
            signing_kid = hs256_kid(current)
            keys.append((signing_kid, current))
            keys.extend((hs256_kid(s.encode()), s.encode()) for s in settings.previous_secrets)
        elif hsm is not None:
            token_keys = hsm.public_keys()
            if not token_keys:
                raise ValueError("the HSM holds no EdDSA access-token key")
            keys.extend(token_keys.items())
            signing_kid = next(iter(token_keys))
        else:
            if settings.key_file is None:
                raise ValueError("PACAI_JWT_KEY_FILE is not set")
            pem = Path(settings.key_file).read_bytes()
            signing_kid = _core.ed25519_key_id(_core.ed25519_public_key_from_private(pem))
            keys.append((signing_kid, pem))
        if settings.algorithm == "EdDSA":
            for path in settings.public_key_files:
                public = _core.ed25519_public_key(Path(path).read_bytes())
                kid = _core.ed25519_key_id(public)
                if kid not in dict(keys):
                    keys.append((kid, public))
        self._codecs = (
            {
                kid: _core.TokenCodec(
                    settings.algorithm, keys, kid, settings.issuer, settings.audience, settings.leeway
                )
                for kid, _ in keys
            }
            if hsm is not None
            else {}
        )
        self.codec = _core.TokenCodec(
            settings.algorithm, keys, signing_kid, settings.issuer, settings.audience, settings.leeway
        )
        self.signing_kid = signing_kid

    def issue(self, *, user_id: str, session_id: str, tier: str, role: str, session_expires_at: int) -> tuple[str, int]:
        """A new access token and its lifetime in seconds (never beyond the session's end)."""
        now = int(time.time())
        exp = min(now + self.ttl, session_expires_at)
        claims: dict[str, Any] = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": user_id,
            "sid": session_id,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "tier": tier,
            "role": role,
        }
        if self.hsm is None:
            return self.codec.sign(claims), exp - now
        message, result = self.hsm.sign_built(lambda kid: self._codecs[kid].signing_input(claims))
        return self._codecs[result.key_id].assemble(message, result.signature), exp - now

    async def issue_async(self, **kwargs: Any) -> tuple[str, int]:
        """`issue` off the event loop when an HSM signs (a PKCS#11 call blocks)."""
        if self.hsm is None:
            return self.issue(**kwargs)
        return await asyncio.to_thread(lambda: self.issue(**kwargs))

    def verify(self, token: str) -> dict[str, Any]:
        """The claims, or TokenError."""
        return self.codec.verify(token)
