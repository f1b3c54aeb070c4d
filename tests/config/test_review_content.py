"""The annual-review programmes and their words: what `linli check-config` refuses, with the file
and line, and what the shipped examples promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.content import ContentError, load_content
from tests.config.conftest import edit, line_of


def problems_of(folder: Path) -> dict[str, str]:
    """Every problem the content has, by file:line."""
    with pytest.raises(ContentError) as caught:
        load_content(folder)
    return {f"{p.file}:{p.line}": p.reason for p in caught.value.problems}


def where(said: dict[str, str], reason: str) -> tuple[str, int]:
    """The file and line a problem was reported at."""
    [place] = [place for place, text in said.items() if text == reason]
    file, line = place.rsplit(":", 1)
    return file, int(line)


def test_the_shipped_programmes_load_and_leave_unsourced_facts_blank(content_dir: Path) -> None:
    reviews = load_content(content_dir).reviews
    family = reviews.by_key["family_planning_review"]
    assert [p.key for p in reviews.programmes] == [
        "family_planning_review", "longevity_confirmation", "residence_permit_endorsement",
    ]  # fmt: skip
    # No public source gives the review's window or online steps: nothing is planned until the
    # committee fills them in.
    assert not family.ready and {"window", "online"} <= set(family.committee_fill)
    longevity = reviews.by_key["longevity_confirmation"]
    assert longevity.ready and longevity.window.open_ended
    assert reviews.by_key["residence_permit_endorsement"].window.days_before == 30


def test_a_window_left_blank_must_be_listed_for_the_committee(broken: Path) -> None:
    path = broken / "reviews" / "family_planning_review.yaml"
    edit(path, "committee_fill: [window, online, documents]", "committee_fill: [online, documents]")
    said = problems_of(broken)
    assert list(said.values()) == [
        "(file): the window is blank: list 'window' under committee_fill"
    ]
    assert next(iter(said)).startswith(f"{path}:")


def test_a_tag_the_registry_does_not_know_is_refused_at_its_line(broken: Path) -> None:
    path = broken / "reviews" / "family_planning_review.yaml"
    edit(path, "tags: [only_child]", "tags: [only_chid]")
    said = problems_of(broken)
    file, line = where(said, "eligibility: tags ['only_chid'] are not in registry.yaml")
    assert file == str(path) and line_of(path, "eligibility:") <= line < line_of(path, "window:")


def test_a_reminder_with_an_unknown_placeholder_is_refused(broken: Path) -> None:
    path = broken / "reviews" / "_reviews.yaml"
    edit(path, "请在{closes}前办好", "请在{deadline}前办好")
    said = problems_of(broken)
    assert where(said, "letters.opens: unknown placeholders ['deadline']") == (
        str(path),
        line_of(path, "{deadline}"),
    )


def test_a_flow_sentence_with_an_unknown_placeholder_is_refused(broken: Path) -> None:
    path = broken / "reviews" / "_reviews.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  deadline:")
    line = text[start : text.index("\n", start)]
    edit(path, line, line.replace("{date}", "{day}"))
    said = problems_of(broken)
    assert list(said.values()) == ["texts: deadline: unknown placeholders ['day']"]


def test_a_fixed_window_needs_both_days_and_a_programme_file_must_be_listed(broken: Path) -> None:
    family = broken / "reviews" / "family_planning_review.yaml"
    edit(family, 'opens: ""', 'opens: "03-01"')
    (broken / "reviews" / "extra.yaml").write_text(
        (broken / "reviews" / "longevity_confirmation.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    said = problems_of(broken)
    file, line = where(said, "window: a fixed window needs both opens and closes (or neither)")
    assert file == str(family) and line >= line_of(family, "window:")
    assert said[f"{broken / 'reviews' / '_reviews.yaml'}:1"] == (
        "order: reviews/extra.yaml is not listed"
    )
