"""The tokens the settings configure (PACAI_HSM_*), as the signers receive them: the only
path from the environment to a token, and one that never shows a PIN."""

from __future__ import annotations

from pathlib import Path

import pytest

from pacai.hsm import HsmConfig, HsmConfigError
from pacai.hsm.wiring import audit_token_signer, hsm_config, server_serial
from pacai.settings import SettingsError, load_settings


def test_primary_and_fallback(tmp_path: Path) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text("0001password\n")
    settings = load_settings(
        {
            "PACAI_ENV": "test",
            "PACAI_HSM_MODULE": "/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so",
            "PACAI_HSM_TOKEN": "YubiHSM",
            "PACAI_HSM_PIN_FILE": str(pin_file),
            "PACAI_HSM_AUDIT_KEY_LABEL": "audit",
            "PACAI_HSM_FALLBACK_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
            "PACAI_HSM_FALLBACK_TOKEN": "spare",
            "PACAI_HSM_FALLBACK_PIN": "1234",
        }
    )
    assert settings.hsm.primary is not None and settings.hsm.fallback is not None
    label = settings.hsm.audit_key_label
    primary = hsm_config(settings.hsm.primary, label)
    assert primary == HsmConfig(
        "/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so", "YubiHSM", "0001password", "audit"
    )
    assert hsm_config(settings.hsm.fallback, label) == HsmConfig(
        "/usr/lib/softhsm/libsofthsm2.so", "spare", "1234", "audit"
    )
    assert hsm_config(settings.hsm.primary, settings.hsm.jwt_key_label).key_label == "pacai-jwt"
    assert "0001password" not in repr(primary)


def test_nothing_configured() -> None:
    settings = load_settings({"PACAI_ENV": "test"})
    assert (settings.hsm.primary, settings.hsm.fallback) == (None, None)
    assert audit_token_signer(settings) is None
    assert server_serial(settings, None) is None


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PACAI_HSM_MODULE": "m", "PACAI_HSM_PIN": "s3cret"}, "PACAI_HSM_TOKEN"),
        ({"PACAI_HSM_MODULE": "m", "PACAI_HSM_TOKEN": "t"}, "PACAI_HSM_TOKEN and a PIN"),
        (
            {"PACAI_HSM_MODULE": "m", "PACAI_HSM_TOKEN": "t", "PACAI_HSM_PIN_FILE": "/nonexistent/pin"},
            "PACAI_HSM_PIN_FILE",
        ),
        ({"PACAI_HSM_FALLBACK_TOKEN": "t", "PACAI_HSM_FALLBACK_PIN": "s3cret"}, "PACAI_HSM_FALLBACK_MODULE"),
        ({"PACAI_AUDIT_SIGNER": "hsm", "PACAI_HSM_PIN": "s3cret"}, "PACAI_AUDIT_SIGNER"),
    ],
)
def test_errors_name_the_variable_not_the_pin(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"PACAI_ENV": "test", **env})
    problems = "\n".join(info.value.problems)
    assert names in problems
    assert "s3cret" not in problems


def test_an_empty_setting_is_refused_without_the_pin() -> None:
    with pytest.raises(HsmConfigError) as info:
        HsmConfig("module.so", "", "s3cret", "label")
    assert "token_label" in str(info.value) and "s3cret" not in str(info.value)
