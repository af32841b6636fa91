"""The serial a hardware-bound licence is checked against, as the commands read it
(CONTRACT §8.2): the --hardware-serial flag, else the configured primary token."""

from __future__ import annotations

import pytest

from pacai.hsm.wiring import server_serial
from pacai.settings import load_settings


def test_the_serial_comes_from_the_flag_or_the_configured_token() -> None:
    plain = load_settings({"PACAI_ENV": "test"})
    assert server_serial(plain, None) is None
    assert server_serial(plain, "abc123") == "abc123"
    # With a token configured that cannot be reached, the flag still wins and no call is made.
    with_hsm = load_settings(
        {"PACAI_ENV": "test", "PACAI_HSM_MODULE": "/nonexistent.so", "PACAI_HSM_TOKEN": "t", "PACAI_HSM_PIN": "1"}
    )
    assert server_serial(with_hsm, "given") == "given"


def test_an_unreachable_token_gives_no_serial(capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(
        {"PACAI_ENV": "test", "PACAI_HSM_MODULE": "/nonexistent.so", "PACAI_HSM_TOKEN": "t", "PACAI_HSM_PIN": "93817"}
    )
    assert server_serial(settings, None) is None
    err = capsys.readouterr().err
    assert "cannot read the HSM token serial" in err and "93817" not in err
