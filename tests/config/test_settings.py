"""Settings fail safe: production unless asked otherwise, and production refuses weak or published
secrets; demo data lives in its own file."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import DEMO_DATABASE_URL, Env, Settings
from tests.production import PRODUCTION_SECRETS

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def _demo_value(name: str) -> str:
    """A value the Makefile's demo target sets (published in this repository)."""
    found = re.search(rf"^demo: export {name} \?= (\S+)$", MAKEFILE.read_text(), re.MULTILINE)
    assert found, f"the Makefile's demo target sets {name}"
    return found.group(1)


def test_without_linli_env_linli_runs_as_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_ENV", raising=False)
    with pytest.raises(ValidationError, match="LINLI_SECRET_KEY"):
        Settings(_env_file=None)  # placeholders: refused, as in production
    settings = Settings(
        _env_file=None, **{k: v for k, v in PRODUCTION_SECRETS.items() if k != "env"}
    )
    assert settings.env is Env.production
    assert settings.simulator_enabled is False


@pytest.mark.parametrize("env", ["dev", "demo"])
def test_demo_and_dev_only_when_asked(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("LINLI_ENV", env)
    settings = Settings(_env_file=None)
    assert settings.env == env and settings.simulator_enabled


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("secret_key", "aaaaaaaa"),
        ("secret_key", "change-me-please"),
        ("secret_key", "Change-Me-" + secrets.token_urlsafe(32)),
        ("secret_key", secrets.token_urlsafe(16)),  # 22 characters: too short
        ("data_key", "x" * 40),  # long, but one character
        ("data_key", "abcdefghij" * 4),  # ten different characters, repeated
        ("data_key", secrets.token_urlsafe(32)[:20] + "zzzzzz" + secrets.token_urlsafe(8)),
        ("wechat_token", "aaaaaaaa"),
        ("wechat_app_secret", "change-me-too"),
    ],
    # Named by position: random values would differ between pytest-xdist workers' collections.
    ids=lambda value: value if len(str(value)) < 20 else "generated",
)
def test_production_refuses_weak_secrets(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=f"LINLI_{field.upper()}"):
        Settings(_env_file=None, **{**PRODUCTION_SECRETS, field: value})


@pytest.mark.parametrize(
    ("field", "name"),
    [("wechat_token", "LINLI_WECHAT_TOKEN"), ("wechat_aes_key", "LINLI_WECHAT_AES_KEY")],
)
def test_production_refuses_the_makefiles_demo_credentials(field: str, name: str) -> None:
    value = _demo_value(name)
    with pytest.raises(ValidationError, match=name):
        Settings(_env_file=None, **{**PRODUCTION_SECRETS, field: value})
    assert Settings(_env_file=None, env="demo", **{field: value}).env is Env.demo


def test_production_accepts_generated_secrets() -> None:
    settings = Settings(
        _env_file=None,
        **{**PRODUCTION_SECRETS, "secret_key": secrets.token_urlsafe(32),
           "data_key": secrets.token_hex(32)},
    )  # fmt: skip
    assert settings.env is Env.production


def test_demo_data_lives_apart_from_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_DATABASE_URL", raising=False)
    monkeypatch.delenv("LINLI_MEDIA_DIR", raising=False)
    demo = Settings(_env_file=None, env="demo")
    production = Settings(_env_file=None, **PRODUCTION_SECRETS)
    assert demo.database_url == DEMO_DATABASE_URL == _demo_value("LINLI_DATABASE_URL")
    assert production.database_url == "sqlite:///data/linli.db"
    assert demo.media_dir != production.media_dir
    chosen = Settings(_env_file=None, env="demo", database_url="sqlite:///elsewhere.db")
    assert chosen.database_url == "sqlite:///elsewhere.db"


@pytest.mark.parametrize("env", ["dev", "demo"])
def test_the_simulator_never_serves_next_to_a_real_app_secret(env: str) -> None:
    assert Settings(_env_file=None, env=env, wechat_app_secret="change-me").simulator_enabled
    real = Settings(_env_file=None, env=env, wechat_app_secret="5f1c9a7e3b2d8046e1a9c7b5d3f20864")
    assert real.real_wechat_credentials and not real.simulator_enabled
