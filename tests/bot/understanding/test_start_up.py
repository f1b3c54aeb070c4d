"""A bad overlay stops start-up like a bad content file — `linli check-config` and the app both
name the file, the line and the reason — and a good one is reported with its count."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.main import create_app
from config.content import ContentError
from tests.chat import settings_for

BAD = (
    "synonyms:\n"
    "  - wording: 屋企冇钱开饭\n"
    "    label: service:no_such_service\n"
    "    added_by: admin\n"
    "    added_at: 2026-11-29T05:00:00+00:00\n"
)
GOOD = BAD.replace("service:no_such_service", "service:dibao")


def _overlay(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_config_names_the_line_of_a_bad_overlay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _overlay(tmp_path, BAD)
    monkeypatch.setenv("LINLI_OVERLAY_PATH", str(path))
    result = CliRunner().invoke(cli, ["check-config"])
    assert result.exit_code == 1
    assert f"{path}:3: synonyms.0.label: unknown intent service:no_such_service" in result.output


def test_check_config_counts_the_synonyms_of_a_good_overlay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _overlay(tmp_path, GOOD)
    monkeypatch.setenv("LINLI_OVERLAY_PATH", str(path))
    result = CliRunner().invoke(cli, ["check-config"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert f"overlay OK: {path} (1 synonyms staff added)" in said


def test_the_app_does_not_start_with_a_bad_overlay(database: Engine, tmp_path: Path) -> None:
    path = _overlay(tmp_path, BAD)
    with pytest.raises(ContentError) as refused:
        create_app(settings_for(database, overlay_path=path), database=database)
    unknown = "synonyms.0.label: unknown intent service:no_such_service"
    assert str(refused.value) == f"{path}:3: {unknown}"
