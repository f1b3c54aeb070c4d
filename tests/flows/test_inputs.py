"""Tests for flows.inputs: parsing what a resident typed into typed values or hint keys."""

from datetime import date, datetime
from pathlib import Path

import pytest

from config.content import load_content
from flows.inputs import (
    HINTS,
    Answers,
    Image,
    Invalid,
    Location,
    Parsed,
    mask_id_card,
    mask_mobile,
    mask_numbers_in,
    normalise,
    parse_choice,
    parse_date,
    parse_id_card,
    parse_image,
    parse_location,
    parse_mobile,
    parse_text,
    parse_yes_no,
)

WORDS = load_content(Path(__file__).resolve().parents[2] / "config" / "content" / "zh-CN").bot
ANSWERS = Answers.of(WORDS.answers.yes_words, WORDS.answers.no_words)
SUNDAY = date(2026, 11, 29)
WEDNESDAY = date(2026, 11, 25)

HELP_OPTIONS = [
    ("need", ["需要", "用"]),
    ("no_need", ["不用", "不需要"]),
    ("later", ["以后再说", "稍后"]),
]


def test_the_reference_weekdays_are_what_the_tests_assume() -> None:
    assert (SUNDAY.isoweekday(), WEDNESDAY.isoweekday()) == (7, 3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  你好  ", "你好"),
        ("１３８　１２３４", "138 1234"),
        ("a \t\n b", "a b"),
        ("ＡＢＣ", "ABC"),
        ("138\u200b1234", "1381234"),
        ("", ""),
    ],
)
def test_normalise_folds_full_width_and_collapses_whitespace(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("1", "need"),
        ("２", "no_need"),
        ("3.", "later"),
        ("3。", "later"),
        ("第2项", "no_need"),
        ("第 3 个", "later"),
        ("一", "need"),
        ("两", "no_need"),
        ("第三项", "later"),
        ("需要", "need"),
        ("不需要", "no_need"),
        ("稍后", "later"),
        ("不用了", "no_need"),
        ("不用了，谢谢", "no_need"),
        ("我需要帮忙", "need"),
        ("那就以后再说吧", "later"),
    ],
)
def test_choice_is_picked_by_number_numeral_or_word(text: str, key: str) -> None:
    assert parse_choice(text, HELP_OPTIONS) == Parsed(key)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0",
        "4",
        "第四项",
        "十",
        "随便",
        "需要还是不用呢",
        "1.5",
    ],
)
def test_choice_rejects_unknown_out_of_range_or_ambiguous_text(text: str) -> None:
    assert parse_choice(text, HELP_OPTIONS) == Invalid("hint.choice")


def test_choice_accepts_ten_as_a_numeral_when_there_are_ten_options() -> None:
    options = [(f"k{i}", [f"w{i}"]) for i in range(1, 12)]
    assert parse_choice("十", options) == Parsed("k10")
    assert parse_choice("十一", options) == Parsed("k11")


def test_choice_word_shared_by_two_options_is_ambiguous() -> None:
    options = [("a", ["好"]), ("b", ["好"])]
    assert parse_choice("好", options) == Invalid("hint.choice")


def test_choice_word_matching_ignores_case_and_width() -> None:
    options = [("ok", ["OK"]), ("cancel", ["Cancel"])]
    assert parse_choice("ｏｋ", options) == Parsed("ok")
    assert parse_choice("cancel please", options) == Parsed("cancel")


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("  楼道灯坏了  ", {}, Parsed("楼道灯坏了")),
        ("第一行\n第二行，全角标点", {}, Parsed("第一行\n第二行，全角标点")),
        ("x" * 500, {}, Parsed("x" * 500)),
        ("abc", {"min_len": 3, "max_len": 3}, Parsed("abc")),
        ("", {}, Invalid("hint.text_empty")),
        (" \n\t ", {}, Invalid("hint.text_empty")),
        ("x" * 501, {}, Invalid("hint.text_long")),
        ("abcd", {"max_len": 3}, Invalid("hint.text_long")),
        ("ab", {"min_len": 3}, Invalid("hint.text_short")),
    ],
)
def test_text_is_stripped_and_length_checked(
    text: str, kwargs: dict[str, int], expected: Parsed | Invalid
) -> None:
    assert parse_text(text, **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("是", True),
        ("是的", True),
        ("好的。", True),
        ("可以！", True),
        ("嗯~", True),
        ("确认", True),
        (" Yes ", True),
        ("ＯＫ!", True),
        ("１", True),
        ("y", True),
        ("不", False),
        ("不要", False),
        ("算了。", False),
        ("没有", False),
        ("NO", False),
        ("2", False),
        ("n", False),
    ],
)
def test_yes_no_reads_common_answers(text: str, answer: bool) -> None:
    assert parse_yes_no(text, ANSWERS) == Parsed(answer)


@pytest.mark.parametrize("text", ["", "也许", "是吗?", "3", "yes no", "好不好"])
def test_yes_no_rejects_anything_else(text: str) -> None:
    assert parse_yes_no(text, ANSWERS) == Invalid("hint.yes_no")


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("2026-03-05", SUNDAY, date(2026, 3, 5)),
        ("2026/3/5", SUNDAY, date(2026, 3, 5)),
        ("2026.3.5", SUNDAY, date(2026, 3, 5)),
        ("２０２６－０３－０５", SUNDAY, date(2026, 3, 5)),
        ("2026年3月5日", SUNDAY, date(2026, 3, 5)),
        ("2027 年 1 月 2 日", SUNDAY, date(2027, 1, 2)),
        ("3月5日", SUNDAY, date(2026, 3, 5)),
        ("3月5号", SUNDAY, date(2026, 3, 5)),
        ("12月31", SUNDAY, date(2026, 12, 31)),
        ("三月五日", SUNDAY, date(2026, 3, 5)),
        ("十二月二十五号", SUNDAY, date(2026, 12, 25)),
        ("一月三十一日", SUNDAY, date(2026, 1, 31)),
        ("今天", SUNDAY, date(2026, 11, 29)),
        ("明天", SUNDAY, date(2026, 11, 30)),
        ("后天", SUNDAY, date(2026, 12, 1)),
        ("大后天", SUNDAY, date(2026, 12, 2)),
        ("昨天", SUNDAY, date(2026, 11, 28)),
        ("下周一", SUNDAY, date(2026, 11, 30)),
        ("下周一", WEDNESDAY, date(2026, 11, 30)),
        ("下星期三", WEDNESDAY, date(2026, 12, 2)),
        ("下礼拜三", WEDNESDAY, date(2026, 12, 2)),
        ("下个星期天", WEDNESDAY, date(2026, 12, 6)),
        ("下周日", SUNDAY, date(2026, 12, 6)),
        ("本周五", WEDNESDAY, date(2026, 11, 27)),
        ("这周五", WEDNESDAY, date(2026, 11, 27)),
        ("这周一", WEDNESDAY, date(2026, 11, 23)),
        ("周天", WEDNESDAY, date(2026, 11, 29)),
        ("星期日", SUNDAY, date(2026, 11, 29)),
        ("明天。", SUNDAY, date(2026, 11, 30)),
    ],
)
def test_date_reads_absolute_and_relative_forms(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today) == Parsed(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2月30日",
        "2月29日",
        "13月1日",
        "二月三十日",
        "2026-02-30",
        "2026-3/5",
        "3-5",
        "20260305",
        "下周八",
        "上周一",
        "改天",
    ],
)
def test_date_rejects_impossible_or_unknown_dates(text: str) -> None:
    assert parse_date(text, SUNDAY) == Invalid("hint.date")


def test_date_accepts_leap_day_in_a_leap_year() -> None:
    assert parse_date("2月29日", date(2028, 1, 10)) == Parsed(date(2028, 2, 29))


def test_date_with_a_datetime_as_today_still_returns_a_plain_date() -> None:
    result = parse_date("明天", datetime(2026, 11, 29, 23, 30))
    assert result == Parsed(date(2026, 11, 30))
    assert isinstance(result, Parsed) and type(result.value) is date


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138-1234-5678",
        "86 13812345678",
        "0086 13812345678",
        "(+86) 13812345678",
        "１３８１２３４５６７８",
        "１３８－１２３４－５６７８",
    ],
)
def test_mobile_is_normalised_to_eleven_digits(text: str) -> None:
    assert parse_mobile(text) == Parsed("13812345678")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "23812345678",
        "010-12345678",
        "+1 13812345678",
        "8813812345678",
        "138l2345678",
        "١٣٨١٢٣٤٥٦٧٨",
    ],
)
def test_mobile_rejects_non_mainland_or_malformed_numbers(text: str) -> None:
    assert parse_mobile(text) == Invalid("hint.mobile")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("440304199001010011", "440304199001010011"),
        ("110101200002290018", "110101200002290018"),
    ],
)
def test_id_card_accepts_valid_numbers_with_upper_case_x(text: str, expected: str) -> None:
    assert parse_id_card(text) == Parsed(expected)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "hint.id_card_length"),
        ("110105491231002", "hint.id_card_length"),
        ("11010519491231002X1", "hint.id_card_length"),
        ("110105194912310021", "hint.id_card_invalid"),
        ("440304199001010012", "hint.id_card_invalid"),
        ("011010519491231002", "hint.id_card_invalid"),
        ("1101051949123100XX", "hint.id_card_invalid"),
        ("110101190002290011", "hint.id_card_invalid"),
        ("110101202302290019", "hint.id_card_invalid"),
        ("11010118991231001X", "hint.id_card_invalid"),
        ("110101210101010017", "hint.id_card_invalid"),
    ],
)
def test_id_card_rejects_wrong_length_check_digit_or_birth_date(text: str, hint: str) -> None:
    assert parse_id_card(text) == Invalid(hint)


@pytest.mark.parametrize(
    ("lat", "lng", "label", "expected"),
    [
        ("31.2304", "121.4737", "上海市黄浦区", Location(31.2304, 121.4737, "上海市黄浦区")),
        ("-90", "180", None, Location(-90.0, 180.0, "")),
        (" 0 ", "-180.0", "  居委会  ", Location(0.0, -180.0, "居委会")),
    ],
)
def test_location_accepts_coordinates_in_range(
    lat: str, lng: str, label: str | None, expected: Location
) -> None:
    assert parse_location(lat, lng, label) == Parsed(expected)


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        (None, "121.4"),
        ("31.2", None),
        ("", "121.4"),
        ("abc", "121.4"),
        ("90.0001", "0"),
        ("0", "-180.5"),
        ("nan", "0"),
        ("0", "inf"),
    ],
)
def test_location_rejects_missing_malformed_or_out_of_range(
    lat: str | None, lng: str | None
) -> None:
    assert parse_location(lat, lng, "x") == Invalid("hint.location")


@pytest.mark.parametrize(
    ("media_id", "pic_url", "expected"),
    [
        ("MEDIA1", "http://mmbiz.qpic.cn/x", Image("MEDIA1", "http://mmbiz.qpic.cn/x")),
        (" MEDIA1 ", None, Image("MEDIA1", None)),
        ("MEDIA1", "  ", Image("MEDIA1", None)),
    ],
)
def test_image_needs_a_media_id(media_id: str, pic_url: str | None, expected: Image) -> None:
    assert parse_image(media_id, pic_url) == Parsed(expected)


@pytest.mark.parametrize("media_id", [None, "", "   "])
def test_image_without_media_id_is_invalid(media_id: str | None) -> None:
    assert parse_image(media_id, "http://mmbiz.qpic.cn/x") == Invalid("hint.image")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002X", "110105********002X"),
        ("12345678901", "123456*8901"),
        ("1234567890", "**********"),
        ("", ""),
    ],
)
def test_mask_id_card_keeps_first_six_and_last_four(value: str, expected: str) -> None:
    assert mask_id_card(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("12345678", "123*5678"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_mobile_keeps_first_three_and_last_four(value: str, expected: str) -> None:
    assert mask_mobile(value) == expected


@pytest.mark.parametrize(
    "result",
    [
        parse_choice("?", HELP_OPTIONS),
        parse_text(""),
        parse_text("ab", min_len=3),
        parse_text("abcd", max_len=3),
        parse_yes_no("?", ANSWERS),
        parse_date("?", SUNDAY),
        parse_mobile("?"),
        parse_id_card("?"),
        parse_id_card("110105194912310021"),
        parse_location(None, None, None),
        parse_image(None, None),
    ],
)
def test_every_hint_returned_is_a_declared_hint_key(result: Parsed | Invalid) -> None:
    assert isinstance(result, Invalid) and result.hint in HINTS


def test_numbers_inside_free_text_are_masked_and_other_digits_kept() -> None:
    said = "楼下3栋2单元，电话13812345678，身份证11010519491231002X，共15辆车"
    assert mask_numbers_in(said) == (
        "楼下3栋2单元，电话138****5678，身份证110105********002X，共15辆车"
    )
