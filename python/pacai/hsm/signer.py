"""Ed25519 signing with non-extractable keys in a PKCS#11 token (CONTRACT §8.4, custody in
docs/hsm.md), with failover to a second token. Nothing here logs or raises with a PIN or
key material: messages name the token, the module and the PKCS#11 error class only."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_named_curve_parameters

from pacai import _core
from pacai.hsm.config import HsmConfig

log = logging.getLogger("pacai.hsm")

# CKA_EC_PARAMS for Ed25519, in the order keygen tries them. PKCS#11 3.0 names the curve
# with the PrintableString "edwards25519" (the only form yubihsm-pkcs11 accepts); other
# modules want the RFC 8410 OID id-Ed25519 (1.3.101.112). SoftHSM2 takes both.
ED25519_EC_PARAMS_CHOICES: tuple[bytes, ...] = (
    b"\x13\x0cedwards25519",
    encode_named_curve_parameters("1.3.101.112"),
)

# PKCS#11 calls on one module are serialized: python-pkcs11 initializes modules with
# C_Initialize(NULL), which does not promise the module that calls are thread-safe.
_module_locks: dict[str, threading.Lock] = {}
_module_locks_guard = threading.Lock()


def _module_lock(module_path: str) -> threading.Lock:
    with _module_locks_guard:
        return _module_locks.setdefault(module_path, threading.Lock())


class HsmError(RuntimeError):
    """An HSM operation failed."""


class HsmUnavailable(HsmError):
    """No token could do the operation (module missing, token removed, session lost, PIN
    refused, or every token of a FailoverSigner failed)."""


class HsmKeyError(HsmError):
    """The key is missing, ambiguous, not Ed25519, or (keygen) its label is taken."""


@dataclass(frozen=True)
class KeyInfo:
    label: str
    key_id: str
    public_key: bytes


@dataclass(frozen=True)
class SignResult:
    signature: bytes
    key_id: str
    public_key: bytes
    token_serial: str
    fallback: bool


@dataclass(frozen=True)
class HsmInfo:
    """What `pacai hsm info` shows."""

    module_path: str
    token_label: str
    token_serial: str
    manufacturer: str
    model: str
    eddsa_supported: bool
    key_label: str
    key_id: str | None


def _close_quietly(session: Any) -> None:
    """Closes a session whose token may already be gone."""
    with contextlib.suppress(pkcs11.PKCS11Error):
        session.close()


def raw_public_key_from_ec_point(ec_point: bytes) -> bytes:
    """The 32-byte Ed25519 key from CKA_EC_POINT: a DER OCTET STRING (04 20 || key), as
    PKCS#11 3.0 specifies, or the bare 32 bytes that some modules return."""
    if len(ec_point) == 34 and ec_point[:2] == b"\x04\x20":
        raw = ec_point[2:]
    elif len(ec_point) == 32:
        raw = ec_point
    else:
        raise HsmKeyError("the public key object does not hold an Ed25519 point")
    try:
        return _core.ed25519_public_key(raw)
    except _core.SignatureError:
        raise HsmKeyError("the public key object holds an invalid Ed25519 key") from None


class HsmSigner:
    """Signs with the Ed25519 key `config.key_label` in token `config.token_label`.

    Thread-safe. The session is opened on first use and reopened once after a failure; a
    refused PIN is never retried automatically (tokens lock after a few wrong PINs), so
    after `HsmUnavailable("... PIN ...")` call `reset()` once the PIN is fixed.
    """

    def __init__(self, config: HsmConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._session: Any = None
        self._private_key: Any = None
        self._public_key: bytes | None = None
        self._serial: str | None = None
        self._pin_refused = False

    def __repr__(self) -> str:
        return f"HsmSigner(token={self.config.token_label!r}, key={self.config.key_label!r})"

    # --- session handling ------------------------------------------------------------------

    def _describe(self) -> str:
        return f"HSM token {self.config.token_label!r} (module {self.config.module_path})"

    def _open_session(self) -> Any:
        if self._pin_refused:
            raise HsmUnavailable(f"{self._describe()}: PIN was refused earlier; not retried")
        try:
            token = self._find_token(pkcs11.lib(self.config.module_path))
            try:
                session = token.open(rw=True, user_pin=self.config.pin)
            except pkcs11.UserAlreadyLoggedIn:
                # Login is per token and process: another signer on this token is logged in,
                # so a plain session sees the private keys too. (python-pkcs11 leaves the
                # session of the refused login open; one handle per such reconnect.)
                session = token.open(rw=True)
        except (
            pkcs11.PinIncorrect,
            pkcs11.PinLocked,
            pkcs11.PinExpired,
            pkcs11.PinInvalid,
            pkcs11.PinLenRange,
        ) as exc:
            self._pin_refused = True
            raise HsmUnavailable(f"{self._describe()}: PIN refused ({type(exc).__name__})") from None
        except pkcs11.PKCS11Error as exc:
            raise HsmUnavailable(f"{self._describe()}: {type(exc).__name__}") from None
        self._serial = token.serial.decode("ascii", "replace").strip()
        return session

    def _find_token(self, lib: Any) -> Any:
        """The token whose label or serial number is `token_label` (every YubiHSM 2 is
        labelled "YubiHSM", so two of them are told apart by serial). Unlike
        `lib.get_token`, a slot whose token fails (removed, broken) is skipped instead of
        ending the search."""
        found = []
        for slot in lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except pkcs11.PKCS11Error:
                continue
            serial = token.serial.decode("ascii", "replace").strip()
            if self.config.token_label in (token.label, serial):
                found.append(token)
        if not found:
            raise HsmUnavailable(f"{self._describe()}: token not found")
        if len(found) > 1:
            raise HsmUnavailable(f"{self._describe()}: several tokens have this label; name one by serial")
        return found[0]

    def _drop_session(self) -> None:
        session, self._session, self._private_key = self._session, None, None
        if session is not None:
            _close_quietly(session)

    def _key_pair(self, session: Any) -> tuple[Any, bytes]:
        label = self.config.key_label
        try:
            private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC_EDWARDS, label=label)
            public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, key_type=KeyType.EC_EDWARDS, label=label)
            ec_point = public[Attribute.EC_POINT]
        except pkcs11.NoSuchKey:
            raise HsmKeyError(f"{self._describe()}: no Ed25519 key pair labelled {label!r}") from None
        except pkcs11.MultipleObjectsReturned:
            raise HsmKeyError(f"{self._describe()}: several keys labelled {label!r}") from None
        return private, raw_public_key_from_ec_point(bytes(ec_point))

    def _ensure_session(self) -> None:
        if self._session is None:
            self._session = self._open_session()

    def _ensure_key(self) -> None:
        self._ensure_session()
        if self._private_key is None:
            self._private_key, public = self._key_pair(self._session)
            if self._public_key is not None and self._public_key != public:
                log.warning("%s: the key labelled %r changed", self._describe(), self.config.key_label)
            self._public_key = public

    def _with_session(self, action: Callable[[], Any], *, need_key: bool = True) -> Any:
        """Runs `action` with an open session (and the key pair found, if `need_key`);
        after a PKCS#11 failure, reconnects once."""
        with self._lock, _module_lock(self.config.module_path):
            for attempt in (1, 2):
                try:
                    if need_key:
                        self._ensure_key()
                    else:
                        self._ensure_session()
                    return action()
                except pkcs11.PKCS11Error as exc:
                    self._drop_session()
                    if attempt == 2:
                        raise HsmUnavailable(f"{self._describe()}: {type(exc).__name__}") from None
                    log.info("%s: %s; reconnecting", self._describe(), type(exc).__name__)
                except HsmUnavailable:
                    self._drop_session()
                    raise
        raise HsmUnavailable(self._describe())  # not reached: the loop returns or raises

    # --- public API -------------------------------------------------------------------------

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `data` by the token's key, checked against the
        public key before it is returned (a faulty token must not write bad signatures)."""

        def sign_once() -> bytes:
            signature = bytes(self._private_key.sign(data, mechanism=Mechanism.EDDSA))
            public = self._public_key
            if public is None or not _core.ed25519_verify(public, data, signature):
                self._drop_session()
                raise HsmUnavailable(f"{self._describe()}: the token returned a bad signature")
            return signature

        result: bytes = self._with_session(sign_once)
        return result

    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        result: bytes = self._with_session(lambda: self._public_key)
        return result

    def key_id(self) -> str:
        return _core.ed25519_key_id(self.public_key())

    def token_serial(self) -> str:
        """The token's serial number (blanks stripped): what a licence's hardware_id names."""
        result: str = self._with_session(lambda: self._serial, need_key=False)
        return result

    def reset(self) -> None:
        """Forgets the session and a refused PIN, so the next call tries again."""
        with self._lock, _module_lock(self.config.module_path):
            self._drop_session()
            self._pin_refused = False

    def close(self) -> None:
        with self._lock, _module_lock(self.config.module_path):
            self._drop_session()

    def keygen(self, label: str | None = None) -> KeyInfo:
        """Generates a non-extractable Ed25519 key pair in the token under `label` (default:
        the configured key label). Refuses a label that is already taken."""
        label = label or self.config.key_label

        def generate() -> bytes:
            session = self._session
            try:
                taken = session.get_objects({Attribute.LABEL: label, Attribute.CLASS: ObjectClass.PRIVATE_KEY})
                if any(True for _ in taken):
                    raise HsmKeyError(f"{self._describe()}: a private key labelled {label!r} exists")
                public = self._generate(session, label)
                return raw_public_key_from_ec_point(bytes(public[Attribute.EC_POINT]))
            except pkcs11.PKCS11Error as exc:
                raise HsmError(f"{self._describe()}: key generation failed ({type(exc).__name__})") from None

        raw: bytes = self._with_session(generate, need_key=False)
        key_id = _core.ed25519_key_id(raw)
        log.info("%s: generated Ed25519 key %r (%s)", self._describe(), label, key_id)
        return KeyInfo(label=label, key_id=key_id, public_key=raw)

    def _generate(self, session: Any, label: str) -> Any:
        """Generates the key pair, trying each form of the curve parameters in turn."""
        failure: pkcs11.PKCS11Error | None = None
        for ec_params in ED25519_EC_PARAMS_CHOICES:
            try:
                public, _private = session.generate_keypair(
                    KeyType.EC_EDWARDS,
                    store=True,
                    label=label,
                    id=os.urandom(8),
                    public_template={
                        Attribute.EC_PARAMS: ec_params,
                        Attribute.TOKEN: True,
                        Attribute.VERIFY: True,
                    },
                    private_template={
                        Attribute.TOKEN: True,
                        Attribute.PRIVATE: True,
                        Attribute.SENSITIVE: True,
                        Attribute.EXTRACTABLE: False,
                        Attribute.SIGN: True,
                    },
                )
            except pkcs11.PKCS11Error as exc:
                failure = exc
                continue
            return public
        raise failure or pkcs11.PKCS11Error("no Ed25519 curve parameters to try")

    def info(self) -> HsmInfo:
        """The token's identity, whether it offers Ed25519, and the configured key's id
        (None when the token has no such key yet)."""

        def describe() -> HsmInfo:
            token = self._session.token
            mechanisms = token.slot.get_mechanisms()
            try:
                _, raw = self._key_pair(self._session)
                key_id: str | None = _core.ed25519_key_id(raw)
            except HsmKeyError:
                key_id = None
            return HsmInfo(
                module_path=self.config.module_path,
                token_label=token.label,
                token_serial=self._serial or "",
                manufacturer=str(token.manufacturer_id).strip(),
                model=str(token.model).strip(),
                eddsa_supported=Mechanism.EDDSA in mechanisms and Mechanism.EC_EDWARDS_KEY_PAIR_GEN in mechanisms,
                key_label=self.config.key_label,
                key_id=key_id,
            )

        result: HsmInfo = self._with_session(describe, need_key=False)
        return result


class FailoverSigner:
    """Signs with `primary`; when it fails, with `fallback` in the same call.

    The two tokens normally hold different keys (a non-extractable key cannot be copied),
    so every result says which key signed, and callers whose message contains the key id
    (audit entries) use `sign_built`. After a primary failure the primary is tried again
    only every `retry_primary_after` seconds, so a dead token does not slow every call.
    """

    def __init__(
        self,
        primary: HsmSigner,
        fallback: HsmSigner | None = None,
        *,
        retry_primary_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_primary_after = retry_primary_after
        self._clock = clock
        self._lock = threading.Lock()
        self._primary_failed_at: float | None = None
        self._fallback_failed = False

    @property
    def degraded(self) -> bool:
        """The primary failed the last time it was used."""
        return self._primary_failed_at is not None

    @property
    def available(self) -> bool:
        """As far as the last calls showed, some token can sign."""
        if self._primary_failed_at is None:
            return True
        return self.fallback is not None and not self._fallback_failed

    def _order(self) -> list[tuple[HsmSigner, bool]]:
        with self._lock:
            failed_at = self._primary_failed_at
        primary_due = failed_at is None or self._clock() - failed_at >= self.retry_primary_after
        order: list[tuple[HsmSigner, bool]] = []
        if primary_due or self.fallback is None:
            order.append((self.primary, False))
        if self.fallback is not None:
            order.append((self.fallback, True))
        if not primary_due and self.fallback is not None:
            order.append((self.primary, False))  # last resort when the fallback fails too
        return order

    def _record(self, signer: HsmSigner, ok: bool) -> None:
        with self._lock:
            if signer is self.primary:
                if ok and self._primary_failed_at is not None:
                    log.warning("HSM primary token %r is back", signer.config.token_label)
                self._primary_failed_at = None if ok else self._clock()
            else:
                self._fallback_failed = not ok

    def sign_built(self, build: Callable[[str], bytes]) -> tuple[bytes, SignResult]:
        """Signs `build(key_id)` with the first token that works, calling `build` again with
        the fallback's key id if the primary fails. Returns (message, result)."""
        failures: list[str] = []
        for signer, is_fallback in self._order():
            try:
                public = signer.public_key()
                key_id = _core.ed25519_key_id(public)
                message = build(key_id)
                signature = signer.sign(message)
                serial = signer.token_serial()
                if not _core.ed25519_verify(public, message, signature):
                    # The token's key changed between the two calls (re-generated under the
                    # same label): the message names a key that did not sign it.
                    raise HsmKeyError(f"the key of token {signer.config.token_label!r} changed")
            except HsmError as exc:
                self._record(signer, ok=False)
                role = "fallback" if is_fallback else "primary"
                failures.append(f"{role}: {exc}")
                log.warning("HSM %s failed: %s", role, exc)
                continue
            self._record(signer, ok=True)
            if is_fallback:
                # Debug only: the primary's failure was logged, and it is retried (and logged)
                # at most every retry_primary_after seconds.
                log.debug("signed with the fallback HSM token %r", signer.config.token_label)
            return message, SignResult(signature, key_id, public, serial, is_fallback)
        raise HsmUnavailable("no HSM token could sign: " + "; ".join(failures))

    def sign(self, data: bytes) -> SignResult:
        """Signs `data` (which does not depend on the key id)."""
        return self.sign_built(lambda _key_id: data)[1]

    def public_keys(self) -> dict[str, bytes]:
        """{key_id: raw public key} of every token that answers: the keys a verifier needs."""
        keys: dict[str, bytes] = {}
        for signer in (self.primary, self.fallback):
            if signer is None:
                continue
            try:
                public = signer.public_key()
            except HsmError:
                continue
            keys[_core.ed25519_key_id(public)] = public
        return keys

    def close(self) -> None:
        self.primary.close()
        if self.fallback is not None:
            self.fallback.close()
