"""campaigns.yaml is validated at start-up: a message that would ask about nothing, or a word
that answers both 1 and 2, stops it with the file, the line and the reason; residents' everyday
words answer the message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.content import ContentError, load_content
from tests.chat import WORDS


def _broken(content_dir: Path, tmp_path: Path, old: str, new: str) -> ContentError:
    copy = tmp_path / "content"
    shutil.copytree(content_dir, copy)
    path = copy / "campaigns.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContentError) as failed:
        load_content(copy)
    return failed.value


def test_a_message_without_the_details_is_refused_with_its_line(
    content_dir: Path, tmp_path: Path
) -> None:
    failed = _broken(content_dir, tmp_path, "    {details}\n    信息正确", "    信息正确")
    [problem] = failed.problems
    assert problem.file.name == "campaigns.yaml" and problem.line == 11
    assert "needs the placeholder {details}" in problem.reason


def test_a_word_for_both_answers_is_refused(content_dir: Path, tmp_path: Path) -> None:
    failed = _broken(content_dir, tmp_path, '["2", 不对,', '["2", 对,')
    assert "「对」 answers both confirmed and changed" in str(failed)


@pytest.mark.parametrize(
    ("said", "meant"),
    [("1", "confirmed"), ("１", "confirmed"), ("对的", "confirmed"), ("没问题。", "confirmed"),
     ("2", "changed"), ("要改", "changed"), ("不对", "changed"), ("明天再说", None)],
)  # fmt: skip
def test_everyday_words_answer_the_message(said: str, meant: str | None) -> None:
    assert WORDS.campaigns.answer_of(said) == meant
