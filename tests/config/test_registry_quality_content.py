"""registry.yaml's `quality` section: a required field that does not exist, or a detail with an
unknown placeholder, is refused with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.content import ContentError, load_content


@pytest.fixture
def copy(content_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "zh-CN"
    shutil.copytree(content_dir, target)
    return target


def _broken(copy: Path, old: str, new: str) -> str:
    path = copy / "registry.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(copy)
    return str(caught.value)


def test_the_shipped_rules(content_dir: Path) -> None:
    rules = load_content(content_dir).registry.quality
    assert rules.required == ("name", "gender", "birth_date", "dwelling")
    assert "13800000000" in rules.placeholder_mobiles and rules.max_age == 110


def test_an_unknown_required_field_is_refused(copy: Path) -> None:
    problem = _broken(copy, "required: [name,", "required: [shoe_size,")
    assert "registry.yaml" in problem and "cannot require shoe_size" in problem


def test_a_detail_with_an_unknown_placeholder_is_refused(copy: Path) -> None:
    problem = _broken(copy, "缺少{value}", "缺少{field}")
    assert "unknown placeholder {field}" in problem
