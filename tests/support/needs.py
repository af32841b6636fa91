"""What a test needs from the machine (a tmpfs mount, a network namespace, SoftHSM2, Node.js):
missing locally, the test is skipped; missing under CI (`CI` set, as `.ci/run` does), it
fails, so a CI machine without it cannot pass by skipping."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it", pytrace=False)
    pytest.skip(reason)
