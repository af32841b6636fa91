"""HSM settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from pacai.hsm import HsmConfig, HsmConfigError, hsm_configs_from_env


def test_primary_and_fallback(tmp_path: Path) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text("0001password\n")
    primary, fallback = hsm_configs_from_env(
        {
            "PACAI_HSM_MODULE": "/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so",
            "PACAI_HSM_TOKEN": "YubiHSM",
            "PACAI_HSM_PIN_FILE": str(pin_file),
            "PACAI_HSM_KEY_LABEL": "audit",
            "PACAI_HSM_FALLBACK_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
            "PACAI_HSM_FALLBACK_TOKEN": "spare",
            "PACAI_HSM_FALLBACK_PIN": "1234",
        }
    )
    assert primary == HsmConfig(
        "/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so", "YubiHSM", "0001password", "audit"
    )
    assert fallback == HsmConfig("/usr/lib/softhsm/libsofthsm2.so", "spare", "1234", "audit")
    assert "0001password" not in repr(primary)


def test_nothing_configured() -> None:
    assert hsm_configs_from_env({}) == (None, None)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PACAI_HSM_MODULE": "m", "PACAI_HSM_PIN": "s3cret"}, "PACAI_HSM_TOKEN"),
        ({"PACAI_HSM_MODULE": "m", "PACAI_HSM_TOKEN": "t"}, "PACAI_HSM_PIN"),
        (
            {
                "PACAI_HSM_MODULE": "m",
                "PACAI_HSM_TOKEN": "t",
                "PACAI_HSM_PIN": "s3cret",
                "PACAI_HSM_PIN_FILE": "/nonexistent",
            },
            "PACAI_HSM_PIN_FILE",
        ),
        (
            {
                "PACAI_HSM_MODULE": "m",
                "PACAI_HSM_TOKEN": "t",
                "PACAI_HSM_PIN_FILE": "/nonexistent/pin",
            },
            "PACAI_HSM_PIN_FILE",
        ),
        (
            {
                "PACAI_HSM_FALLBACK_MODULE": "m",
                "PACAI_HSM_FALLBACK_TOKEN": "t",
                "PACAI_HSM_FALLBACK_PIN": "s3cret",
            },
            "PACAI_HSM_MODULE",
        ),
    ],
)
def test_errors_name_the_variable_not_the_pin(env: dict[str, str], names: str) -> None:
    with pytest.raises(HsmConfigError) as info:
        hsm_configs_from_env(env)
    assert names in str(info.value)
    assert "s3cret" not in str(info.value)
