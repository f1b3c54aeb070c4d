"""The overlay file of synonyms staff added: read like content (a problem names the file, the line
and the reason), no wording twice, an unknown intent refused, written whole or not at all."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.content import ContentError
from config.understanding_overlay import Overlay, load_overlay, save_overlay

NOW = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
KNOWN = {"service:dibao", "report:noise"}


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _entry(wording: str, label: str, at: str = "2026-11-29T05:00:00+00:00") -> str:
    return f"  - {{wording: '{wording}', label: '{label}', added_by: a, added_at: {at}}}\n"


def test_no_file_is_an_empty_overlay(tmp_path: Path) -> None:
    assert load_overlay(tmp_path / "overlay.yaml", KNOWN) == Overlay()


def test_a_saved_overlay_reads_back_the_same_and_only_its_owner_group_may_read_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "committee" / "overlay.yaml"
    overlay = Overlay().adding("低包咋弄", "service:dibao", added_by="admin", added_at=NOW)
    save_overlay(path, overlay)
    assert load_overlay(path, KNOWN) == overlay
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["overlay.yaml"]  # no temporary left
    # Readable by the committee: Chinese as written, not \u escapes.
    assert "低包咋弄" in path.read_text(encoding="utf-8")


def test_an_unknown_intent_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _written(tmp_path, (
        "synonyms:\n"
        + _entry("低包咋弄", "service:dibao")
        + "  - wording: 楼上好吵\n"
        + "    label: service:nothing\n"
        + "    added_by: admin\n"
        + "    added_at: 2026-11-29T05:00:00+00:00\n"
    ))  # fmt: skip
    with pytest.raises(ContentError) as refused:
        load_overlay(path, KNOWN)
    assert [str(p) for p in refused.value.problems] == [
        f"{path}:4: synonyms.1.label: unknown intent service:nothing"
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("synonyms:\n" + _entry("", "service:dibao"), 2, "synonyms.0.wording"),
        ("synonyms:\n" + _entry("低包", "Service dibao"), 2, "synonyms.0.label"),
        ("synonyms:\n" + _entry("低包", "service:dibao", "2026-11-29T05:00:00"), 2,
         "synonyms.0.added_at"),
        ("synonyms:\n" + _entry("低包", "service:dibao") + _entry(" 低包", "report:noise"), 3,
         "synonyms.1.wording"),
        ("synonyms:\n" + _entry("低包", "service:dibao") + _entry("低包", "report:noise"), 2,
         "listed twice"),
        ("synonyms: [\n", 2, "not valid YAML"),
        ("- just a list\n", 1, "expected a mapping"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_line_and_the_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = _written(tmp_path, text)
    with pytest.raises(ContentError) as refused:
        load_overlay(path, KNOWN)
    [problem] = refused.value.problems
    assert problem.line == line and reason in problem.reason, problem


def test_the_same_wording_for_two_intents_is_refused() -> None:
    overlay = Overlay().adding("低包咋弄", "service:dibao", added_by="admin", added_at=NOW)
    with pytest.raises(ValueError, match="listed twice"):
        overlay.adding("低包 咋弄", "report:noise", added_by="admin", added_at=NOW)
    assert overlay.label_of("低包 咋弄") == "service:dibao"
