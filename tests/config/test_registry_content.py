"""registry.yaml is checked like every content file: a bad entry is named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app as cli
from config.content import ContentError, load_content
from tests.config.conftest import edit, line_of


def test_the_shipped_registry_words_every_code_and_reason(content_dir: Path) -> None:
    registry = load_content(content_dir).registry
    assert registry.word("hukou_status", "away") == "人在户不在"
    assert (
        registry.tags["only_child"].certificate and registry.tags["only_child"].name == "独生子女证"
    )
    assert registry.reason("id_card_check_digit").startswith("身份证号校验位不对")


def test_check_config_names_file_and_line_of_a_bad_registry_yaml(
    broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = broken / "registry.yaml"
    edit(registry, "    certificate: true", "    certifcate: true")
    edit(registry, "    vacant: 空置", "    empty: 空置")
    edit(registry, "    min_age: 80", "    min_age: 80\n    max_age: 75")
    monkeypatch.setenv("LINLI_CONTENT_DIR", str(broken))
    result = CliRunner().invoke(cli, ["check-config"])
    assert result.exit_code == 1
    said = dict(line.split(": ", 1) for line in result.output.splitlines() if ": " in line)
    assert said[f"{registry}:{line_of(registry, 'certifcate')}"].startswith(
        "tags.only_child.certifcate"
    )
    assert said[f"{registry}:{line_of(registry, 'occupancy:') + 1}"] == (
        "codes.occupancy: unknown occupancy code empty (one of owner, rented, vacant)"
    )
    aged_80 = line_of(registry, "  aged_80:") + 1
    assert said[f"{registry}:{aged_80}"] == "cohorts.aged_80: max_age must not be below min_age"


def test_a_reason_without_words_is_refused(broken: Path) -> None:
    registry = broken / "registry.yaml"
    edit(registry, "  landline_area_code: 固定电话缺少区号\n", "")
    with pytest.raises(ContentError) as caught:
        load_content(broken)
    [problem] = caught.value.problems
    assert (
        problem.file == registry
        and problem.reason == "reasons: no words for reason landline_area_code"
    )
