"""A writable copy of the shipped content, for tests that break it on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def broken(content_dir: Path, tmp_path: Path) -> Path:
    """A copy of config/content/zh-CN to edit."""
    copy = tmp_path / "zh-CN"
    shutil.copytree(content_dir, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a content file (which must hold it) with `new`."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    """The number of the first line holding `fragment`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if fragment in line:
            return number
    raise AssertionError(fragment)
