"""The matcher on its own: how a text is read, and which intent the words pick."""

from __future__ import annotations

from flows.understanding.intents import FLOW, GUIDE, REPORT, SMALLTALK, Intent
from flows.understanding.matcher import Vocabulary, build_matcher

BIKES = Intent(REPORT, "shared_bike", "共享单车乱停放")
LEAK = Intent(REPORT, "water_leak", "漏水")
PHONE = Intent(GUIDE, "phone", "联系电话")
UPDATE = Intent(FLOW, "update_info", "更新信息")
HELLO = Intent(SMALLTALK, "greeting", "greeting")
WORDS = Vocabulary(
    filler_words=("请问", "一下", "呢", "吗", "你好"),
    synonyms={"共享单车": ("哈啰", "单车"), "低保": ("低包",)},
)
MATCHER = build_matcher(
    [
        (BIKES, ("共享单车", "乱停")),
        (LEAK, ("漏水", "水管爆了")),
        (PHONE, ("电话", "号码")),
        (UPDATE, ("手机号码换了", "改手机号")),
        (HELLO, ("你好", "早上好")),
    ],
    WORDS,
)


def test_text_is_folded_written_the_usual_way_and_stripped_of_fillers() -> None:
    assert MATCHER.normalise("请问一下，低包呢？") == "低保"
    assert MATCHER.normalise("ＨＡ啰 单车！") == "ha啰共享单车"
    assert MATCHER.normalise("哈啰单车") == "共享单车共享单车"
    assert MATCHER.normalise("你好") == "你好"  # nothing but fillers: kept as said


def test_a_brand_name_reaches_its_category() -> None:
    assert MATCHER.understand("楼下哈啰停得乱七八糟").best == BIKES


def test_the_longest_phrase_held_wins() -> None:
    assert MATCHER.understand("我的手机号码换了").best == UPDATE
    assert MATCHER.understand("你们的电话是多少").best == PHONE


def test_small_talk_counts_only_as_the_whole_message() -> None:
    assert MATCHER.understand("早上好").best == HELLO
    assert HELLO not in [m.intent for m in MATCHER.rank("早上好 楼下水管爆了")][:1]


def test_ranking_can_be_kept_to_some_kinds() -> None:
    ranked = MATCHER.rank("水管爆了 打电话给谁", kinds=(REPORT,))
    assert [m.intent for m in ranked] == [LEAK]
    assert MATCHER.likeliest("水管爆了", (GUIDE,)) is None


def test_nothing_shared_is_nothing_understood() -> None:
    understood = MATCHER.understand("今天天气怎么样")
    assert understood.best is None and understood.candidates == ()


SERVICE_CARD = Intent("service", "senior_card", "老年人优待卡")
SERVICE_PERMIT = Intent("service", "residence_permit", "居住证")
SERVICE_PROOF = Intent("service", "residence_certificate", "开具居住证明")
CHECKLIST = Intent(FLOW, "checklist", "办事清单")
ADDRESS = Intent(GUIDE, "address", "办公地址")
GIVING_WAY = build_matcher(
    [
        (CHECKLIST, ("要带什么", "需要什么材料")),
        (ADDRESS, ("在哪里", "地址")),
        (SERVICE_CARD, ("优待卡", "老人卡")),
        (SERVICE_PERMIT, ("居住证", "办居住证")),
        (SERVICE_PROOF, ("居住证明", "开居住证明")),
    ],
    Vocabulary(yields={"flow:checklist": ("service:*",), "guide:address": ("service:*",)}),
)


def test_a_general_meaning_gives_way_to_a_specific_one_said_clearly_with_it() -> None:
    # Without `yields` 办事清单, the address and the card are three close candidates.
    assert GIVING_WAY.understand("老人卡在哪里办 要带什么").best == SERVICE_CARD
    # The address stands when nothing specific is said clearly beside it.
    assert GIVING_WAY.understand("居委会在哪里").best == ADDRESS


def test_a_phrase_said_only_inside_a_longer_one_gives_way_to_it() -> None:
    # 居住证 is held in 居住证明: the certificate is meant, not the permit.
    assert GIVING_WAY.understand("我要开个居住证明").best == SERVICE_PROOF
    assert GIVING_WAY.understand("办居住证要多久").best == SERVICE_PERMIT
