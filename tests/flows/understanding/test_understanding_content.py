"""understanding.yaml and faq.yaml are checked at start-up: a mistake is refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from config.understanding_content import FaqContent, UnderstandingContent
from config.understanding_overlay import Overlay
from flows.registry import build_flows, matcher_of
from flows.understanding.entries import entries_of, labels_of
from flows.understanding.intents import REPORT, Intent
from tests.chat import WORDS


def understanding(**changes: Any) -> dict[str, Any]:
    return {**WORDS.understanding.model_dump(), **changes}


def faq(**changes: Any) -> dict[str, Any]:
    first = {**WORDS.faq.questions[0].model_dump(), **changes}
    return {"after_answer": WORDS.faq.after_answer, "questions": [first]}


def test_the_shipped_files_are_valid_and_every_faq_answer_is_short_and_sourced() -> None:
    for question in WORDS.faq.questions:
        assert len(question.answer.strip()) <= 300
        assert question.source and question.date


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"synonyms": {"低保": ("",)}}, "empty"),
        ({"synonyms": {"低保": ("低包",), "低保户": ("低包",)}}, "stands for both"),
        ({"synonyms": {"低保": ()}}, "no other wording"),
        ({"human": ("找真人", "找真人")}, "written twice"),
        ({"small_talk": [WORDS.understanding.small_talk[0].model_dump()] * 2}, "used twice"),
    ],
)
def test_a_broken_understanding_file_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        UnderstandingContent.model_validate(understanding(**changes))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"variants": ("低保多少", " ")}, "empty"),
        ({"answer": "低保每人每月1309元。"}, "请以现行规定为准"),
        ({"answer": "很长" * 150 + "请以现行规定为准"}, "at most 300"),
    ],
)
def test_a_broken_common_question_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        FaqContent.model_validate(faq(**changes))


def test_a_question_key_used_twice_is_refused() -> None:
    twice = faq()
    twice["questions"] *= 2
    with pytest.raises(ValidationError, match="used twice"):
        FaqContent.model_validate(twice)


def test_every_content_file_names_its_intents() -> None:
    flows = build_flows(WORDS)
    labels = labels_of(entries_of(WORDS, None, flows=flows))
    assert {"report:fire_safety", "faq:dibao_standard", "smalltalk:thanks", "human"} <= labels
    assert {"guide:hours", "flow:my_reports", "flow:update_info"} <= labels
    assert "report:other" not in labels
    assert matcher_of(WORDS, flows).understand("低保标准多少钱").best is not None


def test_a_wording_staff_added_reaches_its_intent_and_an_unknown_label_is_ignored() -> None:
    flows = build_flows(WORDS)
    added = {"added_by": "wang", "added_at": datetime(2026, 11, 30, tzinfo=UTC)}
    overlay = Overlay.model_validate(
        {"synonyms": [{"wording": "蓝色的车乱放", "label": "report:shared_bike", **added},
                      {"wording": "打麻将", "label": "report:mahjong", **added}]}
    )  # fmt: skip
    matcher = matcher_of(WORDS, flows, overlay)
    assert matcher.understand("蓝色的车乱放").best == Intent(
        REPORT, "shared_bike", "共享单车乱停放"
    )
    assert "report:mahjong" not in labels_of(entries_of(WORDS, overlay, flows=flows))
