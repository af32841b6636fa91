from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from pacai.settings import (
    RATE_LIMIT_DEFAULTS,
    VARIABLES,
    SettingsError,
    describe_settings,
    load_settings,
    mask_url,
    parse_rate_limits,
)

ROOT = Path(__file__).resolve().parents[3]
SECRET = "x" * 40


def test_development_defaults() -> None:
    s = load_settings({"PACAI_ENV": "development"})
    assert (s.server.host, s.server.port, s.server.workers) == ("127.0.0.1", 5000, 1)
    assert s.server.data_dir == Path("data")
    assert s.server.max_body_bytes == 1024 * 1024
    assert s.database.url is None and s.redis.url is None
    assert s.logging.format == "console"
    assert s.rate_limits.per_minute == RATE_LIMIT_DEFAULTS


def test_production_defaults_and_port_override(tmp_path: Path) -> None:
    base = {
        "PACAI_ENV": "production",
        "PACAI_JWT_SECRET": SECRET,
        "PACAI_AUDIT_KEY_FILE": str(tmp_path / "k.pem"),
    }
    s = load_settings(base)
    assert (s.server.host, s.server.port, s.server.data_dir) == ("0.0.0.0", 8080, Path("/data"))
    assert s.logging.format == "json" and s.is_production
    assert load_settings({**base, "PORT": "9090"}).server.port == 9090


def test_every_bad_variable_gets_its_own_line() -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(
            {
                "PORT": "eighty",
                "PACAI_WORKERS": "0",
                "PACAI_CORS_ORIGINS": "not an origin",
                "PACAI_JWT_LEEWAY": "61",
                "PACAI_ENV": "development",
            }
        )
    problems = err.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "PORT",
        "PACAI_WORKERS",
        "PACAI_CORS_ORIGINS",
        "PACAI_JWT_LEEWAY",
    ]
    assert all(len(p.splitlines()) == 1 for p in problems)


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"PACAI_JWT_SECRET": ""}, "PACAI_JWT_SECRET"),
        ({"PACAI_CORS_ORIGINS": "https://a.example,*"}, "PACAI_CORS_ORIGINS"),
        ({"PACAI_DEMO_USERS": "true"}, "PACAI_DEMO_USERS"),
        ({"PACAI_LOG_LEVEL": "debug"}, "PACAI_LOG_LEVEL"),
        ({"PACAI_AUDIT_KEY_FILE": ""}, "PACAI_AUDIT_KEY_FILE"),
    ],
)
def test_production_refusals(extra: dict[str, str], variable: str) -> None:
    env = {
        "PACAI_ENV": "production",
        "PACAI_JWT_SECRET": SECRET,
        "PACAI_AUDIT_KEY_FILE": "/k.pem",
        **extra,
    }
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert any(p.startswith(variable + ":") for p in err.value.problems), err.value.problems


def test_development_allows_what_production_refuses() -> None:
    s = load_settings({"PACAI_CORS_ORIGINS": "*", "PACAI_DEMO_USERS": "yes", "PACAI_LOG_LEVEL": "debug"})
    assert s.server.cors_origins == ("*",) and s.server.demo_users


def test_short_jwt_secret_refused_everywhere() -> None:
    with pytest.raises(SettingsError, match="PACAI_JWT_SECRET: must be at least 32 bytes"):
        load_settings({"PACAI_JWT_SECRET": "short"})


def test_several_workers_need_redis() -> None:
    with pytest.raises(SettingsError, match="PACAI_WORKERS"):
        load_settings({"PACAI_WORKERS": "2"})
    assert load_settings({"PACAI_WORKERS": "2", "REDIS_URL": "redis://127.0.0.1:6379/0"}).server.workers == 2


def test_rate_limit_overrides() -> None:
    limits = parse_rate_limits(" actions.free=7 , login.ip=3")
    assert limits["actions.free"] == 7 and limits["login.ip"] == 3
    assert limits["actions.creator"] == RATE_LIMIT_DEFAULTS["actions.creator"]
    for bad in [
        "actions.gold=5",
        "actions.free=0",
        "actions.free=-1",
        "actions.free=x",
        "actions.free",
    ]:
        with pytest.raises(ValueError, match=r"\S"):
            parse_rate_limits(bad)
    with pytest.raises(SettingsError, match="PACAI_RATE_LIMITS"):
        load_settings({"PACAI_RATE_LIMITS": "requests.anonymous=0"})


def test_dotenv_is_read_in_development_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("PORT=6123\n# comment\nPACAI_CORS_ORIGINS='https://app.example'\n")
    monkeypatch.chdir(tmp_path)
    dev = load_settings({"PACAI_ENV": "development"})
    assert dev.server.port == 6123 and dev.server.cors_origins == ("https://app.example",)
    assert load_settings({"PACAI_ENV": "development", "PORT": "7000"}).server.port == 7000  # real env wins
    assert load_settings({"PACAI_ENV": "test"}).server.port == 5000


def test_describe_masks_secrets() -> None:
    shown, problems = describe_settings(
        {
            "DATABASE_URL": "postgresql://app:hunter2@db.internal:5432/pacai",
            "PACAI_JWT_SECRET": SECRET,
            "SENTRY_DSN": "https://abc@o1.ingest.example/1",
        }
    )
    assert problems == []
    assert shown["DATABASE_URL"] == "postgresql://app:***@db.internal:5432/pacai"
    assert shown["PACAI_JWT_SECRET"] == "***" and shown["SENTRY_DSN"] == "***"
    assert "hunter2" not in repr(shown) and SECRET not in repr(shown)
    assert mask_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_env_example_lists_every_variable() -> None:
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert listed == set(VARIABLES), (
        f"missing from .env.example: {sorted(set(VARIABLES) - listed)}; unknown: {sorted(listed - set(VARIABLES))}"
    )


def test_a_sentry_dsn_without_sentry_sdk_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting SENTRY_DSN on an install without the `sentry` extra stops the start with a line
    saying what to install, rather than an ImportError in every worker."""
    dsn = "https://public@sentry.example.com/1"
    assert load_settings({"PACAI_ENV": "development", "SENTRY_DSN": dsn}).sentry.dsn == dsn
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # import machinery: "not installed"
    with pytest.raises(SettingsError) as err:
        load_settings({"PACAI_ENV": "development", "SENTRY_DSN": dsn})
    assert err.value.problems == ["SENTRY_DSN: set, but sentry-sdk is not installed (pip install 'pacai[sentry]')"]
    assert load_settings({"PACAI_ENV": "development"}).sentry.dsn is None  # no DSN, no requirement
