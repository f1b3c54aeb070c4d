"""Content files are validated at start-up and by `linli check-config`, with file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli.main import app as cli
from config.content import ContentError, Hints, load_content
from config.settings import Settings
from tests.config.conftest import edit, line_of
from tests.production import PRODUCTION_SECRETS


def test_the_shipped_content_is_valid(content_dir: Path) -> None:
    content = load_content(content_dir)
    assert content.office.topics[0].title == "办公时间"
    assert content.office.topics[0].answer == ""  # unconfirmed facts stay blank


def test_every_problem_is_reported_with_file_line_and_reason(broken: Path) -> None:
    bot, office = broken / "bot.yaml", broken / "office.yaml"
    edit(bot, "timed_out: 上次的对话超过{minutes}", "timed_out: 上次的对话超过{hours}")
    edit(bot, "  yes_no: 请回复", "  yes_or_no: 请回复")
    edit(office, "  - key: address", "  - key: hours")
    with pytest.raises(ContentError) as caught:
        load_content(broken)
    problems = {(p.file.name, p.line): p.reason for p in caught.value.problems}
    assert problems[("bot.yaml", line_of(bot, "yes_or_no"))].startswith("hints.yes_or_no")
    assert any("unknown placeholder {hours}" in r for r in problems.values())
    assert any(f == "office.yaml" and "hours is used twice" in r for (f, _), r in problems.items())


def test_a_broken_yaml_file_is_reported_at_its_line(broken: Path) -> None:
    office = broken / "office.yaml"
    edit(office, "prompt: 您想了解哪一项？", "prompt: [您想了解哪一项？")
    with pytest.raises(ContentError) as caught:
        load_content(broken)
    [problem] = caught.value.problems
    assert problem.file == office and "not valid YAML" in problem.reason
    assert problem.line >= line_of(office, "prompt:")


def test_check_config_exits_non_zero_and_names_the_place(
    broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = broken / "office.yaml"
    edit(office, "title: 办事指南", "title: ''")
    monkeypatch.setenv("LINLI_CONTENT_DIR", str(broken))
    result = CliRunner().invoke(cli, ["check-config"])
    assert result.exit_code == 1
    assert f"office.yaml:{line_of(office, 'title:')}" in result.output
    assert "title" in result.output


def test_check_config_passes_on_the_shipped_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_CONTENT_DIR", raising=False)
    result = CliRunner().invoke(cli, ["check-config"])
    assert result.exit_code == 0, result.output
    assert "content OK" in result.output


def test_check_config_refuses_reports_yaml_without_the_other_category_or_a_status(
    broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = broken / "reports.yaml"
    text = reports.read_text(encoding="utf-8")
    other = re.search(r"\n  - key: other\n(    .*\n)+", text)
    resolved = re.search(r"\n  resolved: .*\n", text)
    assert other is not None and resolved is not None
    reports.write_text(
        text.replace(other.group(0), "\n", 1).replace(resolved.group(0), "\n", 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("LINLI_CONTENT_DIR", str(broken))
    result = CliRunner().invoke(cli, ["check-config"])
    assert result.exit_code == 1
    said = dict(line.split(": ", 1) for line in result.output.splitlines() if ": " in line)
    # Each problem points at the first line under its heading.
    categories = f"{reports}:{line_of(reports, 'categories:') + 1}"
    statuses = f"{reports}:{line_of(reports, 'statuses:') + 1}"
    assert said[categories].startswith("categories: no category with key other")
    assert said[statuses] == "statuses: missing status resolved"


def test_bot_yaml_answers_may_not_be_both_yes_and_no_nor_a_command(broken: Path) -> None:
    bot = broken / "bot.yaml"
    edit(bot, "  yes_words: [是,", "  yes_words: [否, 取消, 是,")
    with pytest.raises(ContentError) as caught:
        load_content(broken)
    reasons = [(p.line, p.reason) for p in caught.value.problems]
    both = "answers: 「否」 is in both yes_words and no_words"
    assert (line_of(bot, "answers:") + 1, both) in reasons
    with pytest.raises(ContentError) as caught:
        edit(bot, "  yes_words: [否, 取消,", "  yes_words: [取消,")
        load_content(broken)
    [problem] = caught.value.problems
    assert problem.line == line_of(bot, "answers:") + 1
    assert problem.reason == "answers: yes_words: 「取消」 is also a cancel word"


def test_every_hint_key_the_flows_use_is_required_in_bot_yaml() -> None:
    flows = Path(__file__).resolve().parents[2] / "flows"
    used = {
        key
        for path in flows.glob("*.py")
        for key in re.findall(r"[\"']hint\.([a-z_]+)[\"']", path.read_text(encoding="utf-8"))
    }
    assert {"choice", "yes_no", "voice"} <= used
    missing = {key for key in used if key not in Hints.model_fields}
    assert missing == set()
    assert all(Hints.model_fields[key].is_required() for key in used)


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValidationError, match="LINLI_SECRET_KEY"):
        Settings(**{**PRODUCTION_SECRETS, "secret_key": "change-me"})
    assert Settings(**PRODUCTION_SECRETS).simulator_enabled is False


def test_a_malformed_aes_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="43 letters or digits"):
        Settings(wechat_aes_key="too-short")


def test_an_urgent_report_category_must_give_its_safety_advice(broken: Path) -> None:
    reports = broken / "reports.yaml"
    text = reports.read_text(encoding="utf-8")
    start = text.index("    advice: ")
    reports.write_text(text[:start] + text[text.index("\n", start) + 1 :], encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(broken)
    assert any(
        "urgent category fire_safety needs its safety advice" in p.reason
        for p in caught.value.problems
    )
