"""A private SoftHSM2 installation per test: its own token directory, config file and copy
of the module (a PKCS#11 module reads its configuration once per process, when loaded, so
each test loads its own copy)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest

from tests.support.needs import unavailable

MODULE_CANDIDATES = (
    os.environ.get("SOFTHSM2_MODULE", ""),
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
PIN = "pin-Q7x9-not-in-logs"
SO_PIN = "so-pin-K2v8-not-in-logs"


def _softhsm() -> tuple[str, str]:
    module = next((m for m in MODULE_CANDIDATES if m and Path(m).is_file()), None)
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        unavailable("SoftHSM2 is not installed (Debian: apt-get install softhsm2)")
    return module, util


@dataclass
class SoftHsm:
    root: Path
    conf: Path
    module: str
    token_dirs: dict[str, Path]

    def remove_token(self, label: str) -> None:
        """What pulling the token out looks like to the running process."""
        shutil.rmtree(self.token_dirs[label])


@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., SoftHsm]:
    module, util = _softhsm()

    def make(*labels: str, name: str = "hsm") -> SoftHsm:
        root = tmp_path / name
        tokens = root / "tokens"
        tokens.mkdir(parents=True)
        conf = root / "softhsm2.conf"
        conf.write_text(
            f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
        )
        env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
        token_dirs = {}
        for label in labels:
            before = set(tokens.iterdir())
            subprocess.run(
                [
                    util,
                    "--init-token",
                    "--free",
                    "--label",
                    label,
                    "--pin",
                    PIN,
                    "--so-pin",
                    SO_PIN,
                ],
                env=env,
                check=True,
                capture_output=True,
            )
            (token_dirs[label],) = set(tokens.iterdir()) - before
        copy = root / f"libsofthsm2-{uuid.uuid4().hex}.so"
        shutil.copy(module, copy)
        monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
        pkcs11.lib(str(copy))  # load now, while SOFTHSM2_CONF names this installation
        return SoftHsm(root, conf, str(copy), token_dirs)

    return make
