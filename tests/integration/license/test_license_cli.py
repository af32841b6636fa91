"""CONTRACT §8.5: `pacai license issue | verify | install | status`, and verification
that needs no network."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pacai import _core
from tests.support.needs import unavailable
from tests.support.trust import (
    CLEAN_ENV,
    LICENSE_APPLIED_WITHIN,
    db_entries,
    new_private_key,
    pacai,
    public_pem_of,
    rfc3339,
    wait_for,
)

from .conftest import Licensed, Vendor

DAY = 86400


def issue(vendor: Vendor, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return pacai(
        "license", "issue", "--licensee", "Example Studio", "--seats", "12", "--features", "generation, exports",
        "--key-file", str(vendor.private_path), "--out", str(out), *extra, env={},
    )  # fmt: skip


def verify(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return pacai("license", "verify", str(path), *extra, env={})


def test_issue_and_verify_offline(vendor: Vendor, tmp_path: Path) -> None:
    out = tmp_path / "licence.json"
    issued = issue(vendor, out, "--license-id", "lic-cli", "--days", "30", "--grace-days", "7")
    assert issued.returncode == 0, issued.stderr
    assert "lic-cli" in issued.stdout and "12 seats" in issued.stdout
    document = json.loads(out.read_text())
    assert set(document) == {"payload", "signature", "key_id"}
    payload = document["payload"]
    assert payload["license_id"] == "lic-cli" and payload["seats"] == 12 and payload["grace_days"] == 7
    assert payload["features"] == ["generation", "exports"] and "hardware_id" not in payload
    assert document["key_id"] == _core.ed25519_key_id(vendor.public_path.read_bytes())

    ok = verify(out, "--public-key", str(vendor.public_path))
    assert ok.returncode == 0 and ok.stdout.startswith("valid (licence lic-cli, Example Studio, expires ")

    stranger = public_pem_of(new_private_key(tmp_path / "x.pem"), tmp_path / "x.pub.pem")
    wrong_key = verify(out, "--public-key", str(stranger))
    assert wrong_key.returncode == 1 and wrong_key.stdout.startswith("invalid")

    tampered = tmp_path / "tampered.json"
    tampered.write_text(out.read_text().replace('"seats":12', '"seats":120'))
    bad = verify(tampered, "--public-key", str(vendor.public_path))
    assert bad.returncode == 1 and bad.stdout.startswith("invalid")

    assert verify(out).returncode == 2  # no key given and none configured


@pytest.mark.parametrize(
    ("dates", "state"),
    [
        ({"--not-before": -400 * DAY, "--expires-at": -40 * DAY}, "expired"),
        ({"--not-before": -400 * DAY, "--expires-at": -DAY}, "grace"),
        ({"--not-before": DAY, "--expires-at": 30 * DAY}, "not_yet_valid"),
    ],
)
def test_verify_reports_the_state_by_date(vendor: Vendor, tmp_path: Path, dates: dict[str, int], state: str) -> None:
    out = tmp_path / "licence.json"
    args = [arg for flag, offset in dates.items() for arg in (flag, rfc3339(time.time() + offset))]
    assert issue(vendor, out, *args).returncode == 0
    checked = verify(out, "--public-key", str(vendor.public_path))
    assert checked.stdout.startswith(state)
    assert checked.returncode == (0 if state == "grace" else 1)


def test_hardware_binding_offline(vendor: Vendor, tmp_path: Path) -> None:
    out = tmp_path / "bound.json"
    assert issue(vendor, out, "--hardware-id", "5a1e7e0d00c0ffee").returncode == 0
    key = ["--public-key", str(vendor.public_path)]
    assert verify(out, *key, "--hardware-serial", "5a1e7e0d00c0ffee").returncode == 0
    other = verify(out, *key, "--hardware-serial", "0000000000000001")
    assert other.returncode == 1 and other.stdout.startswith("hardware_mismatch")
    assert verify(out, *key).stdout.startswith("hardware_mismatch")


def test_install_and_status_through_the_cli(licensed: Licensed, vendor: Vendor, tmp_path: Path) -> None:
    missing = pacai("license", "status", env=licensed.cli_env)
    assert missing.returncode == 1 and json.loads(missing.stdout)["status"] == "missing"

    out = tmp_path / "licence.json"
    assert issue(vendor, out, "--license-id", "lic-installed-by-cli").returncode == 0
    installed = pacai("license", "install", str(out), env=licensed.cli_env)
    assert installed.returncode == 0, installed.stderr
    assert "installed licence lic-installed-by-cli: valid" in installed.stdout

    # The running server re-reads the licence in force within 5 s (no bus from the CLI).
    wait_for(lambda: licensed.view()["license_id"] == "lic-installed-by-cli", timeout=LICENSE_APPLIED_WITHIN)
    status = pacai("license", "status", env=licensed.cli_env)
    assert status.returncode == 0
    assert json.loads(status.stdout) == licensed.view()

    entry = db_entries(licensed.url)[-1]
    assert (entry["type"], entry["subject"], entry["actor_id"]) == (
        "license.installed",
        "license:lic-installed-by-cli",
        None,
    )

    expired = tmp_path / "expired.json"
    long_ago = [("--not-before", -400 * DAY), ("--expires-at", -40 * DAY)]
    assert issue(vendor, expired, *[a for f, o in long_ago for a in (f, rfc3339(time.time() + o))]).returncode == 0
    refused = pacai("license", "install", str(expired), env=licensed.cli_env)
    assert refused.returncode == 1 and "expired" in refused.stderr
    assert db_entries(licensed.url)[-1]["type"] == "license.rejected"
    assert licensed.view()["license_id"] == "lic-installed-by-cli"


def test_verification_opens_no_connection(vendor: Vendor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "licence.json"
    assert issue(vendor, out).returncode == 0
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    from pacai.cli import main

    assert main(["license", "verify", str(out), "--public-key", str(vendor.public_path)]) == 0
    assert attempts == []


def test_verification_works_without_a_network(vendor: Vendor, tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], check=False).returncode != 0:
        unavailable("no network namespaces here (unshare -n)")
    out = tmp_path / "licence.json"
    assert issue(vendor, out).returncode == 0
    command = [unshare, "-n", sys.executable, "-m", "pacai.cli", "license", "verify", str(out)]
    offline = subprocess.run(
        [*command, "--public-key", str(vendor.public_path)],
        env={**CLEAN_ENV, "PACAI_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert offline.returncode == 0 and offline.stdout.startswith("valid"), offline.stderr
    # The namespace really has no network: the same interpreter cannot reach the shared Redis.
    probe = subprocess.run(
        [unshare, "-n", sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 6379), 1)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert probe.returncode != 0


def test_issue_refuses_a_payload_outside_the_format(vendor: Vendor, tmp_path: Path) -> None:
    out = tmp_path / f"{uuid.uuid4().hex}.json"
    refused = pacai(
        "license", "issue", "--licensee", "X", "--seats", "-1", "--key-file", str(vendor.private_path),
        "--out", str(out), env={},
    )  # fmt: skip
    assert refused.returncode == 1 and "cannot issue" in refused.stderr
    assert not out.exists()


def test_unreadable_inputs_are_usage_errors(vendor: Vendor, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.json")
    for args in (
        ("license", "verify", missing, "--public-key", str(vendor.public_path)),
        ("license", "issue", "--licensee", "X", "--seats", "1", "--key-file", missing, "--out", str(tmp_path / "o")),
        ("license", "verify", str(vendor.public_path), "--public-key", str(tmp_path)),
        ("audit", "verify", "--file", missing, "--public-key", str(vendor.public_path)),
    ):
        out = pacai(*args, env={})
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith("pacai: ") and "Traceback" not in out.stderr
