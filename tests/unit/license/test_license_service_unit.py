"""The Python side of licences, in process: the §8.3 view's shape, vendor keys from files,
and verification without sockets."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pacai import _core
from pacai.license.service import USABLE, LicenseService, LicenseView, load_vendor_keys

CONTRACT_VIEW = [
    "status",
    "license_id",
    "licensee",
    "edition",
    "seats",
    "seats_used",
    "features",
    "expires_at",
    "grace_until",
    "hardware_bound",
    "key_id",
]


def test_the_view_has_exactly_the_contract_fields_in_order() -> None:
    assert list(LicenseView.__struct_fields__) == CONTRACT_VIEW
    assert USABLE == ("valid", "grace")


def test_vendor_keys_are_read_by_key_id(tmp_path: Path) -> None:
    paths = []
    for n in range(2):
        public = _core.ed25519_public_key_from_private(_core.ed25519_private_key_from_seed(os.urandom(32)))
        path = tmp_path / f"v{n}.pub.pem"
        path.write_bytes(_core.ed25519_public_key_pem(public))
        paths.append(path)
    keys = load_vendor_keys(tuple(paths))
    assert set(keys) == {_core.ed25519_key_id(p.read_bytes()) for p in paths}
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(_core.SignatureError):
        load_vendor_keys((bad,))


def test_verification_uses_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    private = _core.ed25519_private_key_from_seed(os.urandom(32))
    public = _core.ed25519_public_key_from_private(private)
    now = int(time.time())
    payload: dict[str, Any] = {
        "license_id": "l", "licensee": "x", "edition": "e", "seats": 1, "features": [],
        "issued_at": "2026-01-01T00:00:00Z", "not_before": "2026-01-01T00:00:00Z",
        "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 86400)),
    }  # fmt: skip
    document = _core.sign_license(json.dumps(payload).encode(), private)

    def no_network(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("licence verification opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    service = LicenseService(
        None,  # type: ignore[arg-type]  # verify() touches neither the database nor the bus
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        {_core.ed25519_key_id(public): public},
        enforce=True,
        hardware_serial=lambda: None,
    )
    status = service.verify(document)
    assert status.state == "valid" and status.usable
    assert msgspec.json.decode(document)["key_id"] == _core.ed25519_key_id(public)
