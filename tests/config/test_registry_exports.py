"""registry_exports.yaml is validated at start-up: a bad profile stops it with file, line and
why; the shipped profiles name only cohorts and tags registry.yaml has."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.content import ContentError, load_content


def _broken(content_dir: Path, tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the content with one line of registry_exports.yaml changed, and that line."""
    copy = tmp_path / "zh-CN"
    shutil.copytree(content_dir, copy)
    path = copy / "registry_exports.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if old in line)  # the first such line
    lines[number - 1] = lines[number - 1].replace(old, new)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, number


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("{heading: 年龄, field: age}", "{heading: 年龄, field: password}",
         "unknown field password"),
        ("{heading: 住址, field: address}", "{heading: 姓名, field: address}",
         "heading 姓名 is used twice"),
        ("{heading: 出生日期, field: birth_date, format: \"%Y年%m月%d日\"}",
         "{heading: 出生日期, field: name, format: \"%Y年\"}", "name is not a date"),
        ("{heading: 人群, field: cohorts}", "{heading: 人群, field: cohorts, values: {a: b}}",
         "cohorts has no codes to word"),
        ("{heading: 性别, field: gender}", "{heading: 性别, field: gender, values: {man: 男}}",
         "unknown gender code man"),
        ("exclude_residence_statuses: [moved_out, deceased]",
         "exclude_residence_statuses: [moved_away]", "unknown residence status moved_away"),
        ("profile: census", "profile: censos", "no profile named censos"),
        ("changed: 变更", "changed: 变更[旧]", "a sheet name cannot hold"),
    ],
)  # fmt: skip
def test_a_bad_export_profile_is_reported_with_file_line_and_reason(
    content_dir: Path, tmp_path: Path, old: str, new: str, reason: str
) -> None:
    path, line = _broken(content_dir, tmp_path, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(path.parent)
    [problem] = caught.value.problems
    assert problem.file.name == "registry_exports.yaml"
    assert line - 20 <= problem.line <= line, str(problem)
    assert reason in problem.reason


def test_the_shipped_profiles_name_cohorts_and_tags_registry_yaml_has(content_dir: Path) -> None:
    content = load_content(content_dir)
    profiles = content.registry_exports.profiles
    assert set(profiles) == {"roster", "elderly", "census"}
    for profile in profiles.values():
        assert set(profile.filter.cohorts) <= set(content.registry.cohorts)
        assert set(profile.filter.tags) <= set(content.registry.tags)
    assert profiles["elderly"].filter.cohorts == ("elderly_men", "elderly_women")
    # The census layout's headings are headings the import reads, so a filled-in copy compares.
    read = content.registry.imports.columns.field_of()
    assert all(column.heading in read for column in profiles["census"].columns)
