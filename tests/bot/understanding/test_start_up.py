"""An overlay that is not a valid list of synonyms stops start-up like a bad content file, naming
the file, the line and the reason; one naming an intent the content no longer has is a problem
for `linli check-config` but not for the running app, which leaves that synonym out."""

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
    said = "".join(result.output.split())  # the console wraps long lines, paths too
    assert "".join(f"overlay OK: {path} (1 synonyms staff added)".split()) in said


def test_the_app_does_not_start_with_an_overlay_that_is_not_a_list_of_synonyms(
    database: Engine, tmp_path: Path
) -> None:
    path = _overlay(tmp_path, "synonyms:\n  - wording: 屋企冇钱开饭\n    label: [\n")
    with pytest.raises(ContentError) as refused:
        create_app(settings_for(database, overlay_path=path), database=database)
    assert str(refused.value).startswith(f"{path}:")


def test_the_app_starts_without_a_synonym_whose_intent_is_gone(
    database: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _overlay(tmp_path, BAD)
    app = create_app(settings_for(database, overlay_path=path), database=database)
    understanding = app.state.services.understanding
    assert understanding().understand("屋企冇钱开饭").best is None
    assert "service:no_such_service" in caplog.text
