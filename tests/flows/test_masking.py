"""Numbers in what residents write are masked however they typed them; nothing else changes."""

from __future__ import annotations

import pytest

from flows.masking import has_personal_number, mask_numbers_in, mask_openid


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("电话13812345678", "电话138****5678"),
        ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
        ("手机138-1234-5678", "手机138****5678"),
        ("+86 13812345678", "138****5678"),
        ("电话１３８１２３４５６７８。", "电话138****5678。"),  # full-width, as some phones type
        ("身份证44010619900101123X", "身份证440106********123X"),
        ("身份证44010619900101123x号", "身份证440106********123x号"),
        ("座机020-12345678", "座机020-****5678"),
        ("座机020-12345678，手机13812345678", "座机020-****5678，手机138****5678"),
    ],
)
def test_personal_numbers_are_masked(said: str, shown: str) -> None:
    assert mask_numbers_in(said) == shown
    assert has_personal_number(said)


@pytest.mark.parametrize(
    "said",
    ["编号BS-20261128-0042", "3栋2单元1201", "2026-11-29 10:00", "２０２６年１１月", "电话坏了"],
)
def test_other_numbers_and_words_stay_as_written(said: str) -> None:
    assert mask_numbers_in(said) == said
    assert not has_personal_number(said)


def test_openids_show_only_their_last_four_characters() -> None:
    assert mask_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M") == "…fL2M"
    assert mask_openid("short") == "…"
    assert mask_openid(None) == "—"
