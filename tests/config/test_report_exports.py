"""report_exports.yaml is validated at start-up: a bad layout stops it with file, line and why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.content import ContentError, load_content


def _broken(content_dir: Path, tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the content with one line of report_exports.yaml changed, and that line."""
    copy = tmp_path / "zh-CN"
    shutil.copytree(content_dir, copy)
    path = copy / "report_exports.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    [number] = [i for i, line in enumerate(lines, 1) if old in line]
    lines[number - 1] = lines[number - 1].replace(old, new)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, number


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("{heading: 事件描述, field: description}", "{heading: 事件描述, field: openid}",
         "unknown field openid"),
        ("{heading: 所属网格, field: grid_area}", "{heading: 事件编号, field: grid_area}",
         "heading 事件编号 is used twice"),
        ("in_progress: 处置中", "in_review: 处置中", "values: unknown status code in_review"),
        ("{heading: 处置人, field: handler}", "{heading: 处置人, field: handler, values: {a: b}}",
         "values: handler has no codes to translate"),
    ],
)  # fmt: skip
def test_a_bad_export_layout_is_reported_with_file_line_and_reason(
    content_dir: Path, tmp_path: Path, old: str, new: str, reason: str
) -> None:
    path, line = _broken(content_dir, tmp_path, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(path.parent)
    [problem] = caught.value.problems
    assert problem.file.name == "report_exports.yaml"
    # The line of the column, or of its values, or of the layout's columns for a repeat.
    assert line - 12 <= problem.line <= line, str(problem)
    assert reason in problem.reason
