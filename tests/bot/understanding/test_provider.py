"""The running app's matcher follows the overlay file: a synonym saved (by this worker or any
other) reaches the very next message, an unchanged file costs one stat and no rebuild, a bad file
stops start-up but, edited in later, leaves the last good synonyms answering."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.understanding import synonyms
from bot.understanding.provider import MatcherProvider
from config.content import ContentError
from config.understanding_overlay import Overlay, load_overlay, save_overlay
from flows.registry import build_flows
from store.errors import Refused
from tests.chat import WORDS

NOW = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
FLOWS = build_flows(WORDS)
# How a resident might ask about 低保 in words the shipped content does not cover (checked below).
UNCOVERED = "屋企冇钱开饭"  # Cantonese: no money at home to put food on the table
DIBAO = "service:dibao"


def _provider(path: Path) -> MatcherProvider:
    return MatcherProvider(WORDS, path, FLOWS)


def _reached(provider: MatcherProvider, text: str) -> str | None:
    best = provider().understand(text).best
    return best.label if best else None


def test_the_uncovered_wording_is_really_not_understood_by_the_shipped_words(
    tmp_path: Path,
) -> None:
    assert _reached(_provider(tmp_path / "overlay.yaml"), UNCOVERED) != DIBAO


def test_a_synonym_added_reaches_its_intent_at_the_next_message(tmp_path: Path) -> None:
    provider = _provider(tmp_path / "overlay.yaml")
    intent = synonyms.add(provider, UNCOVERED, DIBAO, added_by="admin", now=NOW)
    assert intent.label == DIBAO
    assert _reached(provider, UNCOVERED) == DIBAO
    [kept] = load_overlay(tmp_path / "overlay.yaml").synonyms
    assert (kept.wording, kept.label, kept.added_by, kept.added_at) == (
        UNCOVERED, DIBAO, "admin", NOW)  # fmt: skip


def test_another_worker_notices_the_file_change_by_its_own_stat(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    this_worker, other_worker = _provider(path), _provider(path)
    assert _reached(other_worker, UNCOVERED) != DIBAO
    synonyms.add(this_worker, UNCOVERED, DIBAO, added_by="admin", now=NOW)
    assert _reached(other_worker, UNCOVERED) == DIBAO


def test_an_unchanged_file_is_not_read_again_and_the_matcher_not_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "overlay.yaml"
    save_overlay(path, Overlay().adding("楼上天天蹦迪", "report:noise", added_by="a", added_at=NOW))
    provider = _provider(path)
    first = provider()
    reads: list[Path] = []
    monkeypatch.setattr("bot.understanding.provider.load_overlay",
                        lambda p, known: reads.append(p))  # fmt: skip
    assert provider() is first and provider() is first
    assert reads == []


def test_a_file_saved_again_is_read_again_even_at_the_same_size_and_second(
    tmp_path: Path,
) -> None:
    path = tmp_path / "overlay.yaml"
    save_overlay(path, Overlay().adding("低包咋弄", DIBAO, added_by="a", added_at=NOW))
    provider = _provider(path)
    before = provider()
    # Same length, same second: the rename gives the file a new inode all the same.
    save_overlay(path, Overlay().adding("低包咋办", DIBAO, added_by="a", added_at=NOW))
    assert provider() is not before
    assert provider().normalise("低包咋办") in {
        provider.normalise(s.wording) for s in provider.current().overlay.synonyms
    }


def test_a_bad_overlay_stops_start_up_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text(
        "synonyms:\n  - {wording: 低包咋弄, label: service:dibao, added_by: a, "
        "added_at: not a time}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as refused:
        _provider(path)
    assert str(refused.value).startswith(f"{path}:2: synonyms.0.added_at")


def test_a_file_spoilt_while_running_keeps_the_last_good_synonyms(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "overlay.yaml"
    provider = _provider(path)
    synonyms.add(provider, UNCOVERED, DIBAO, added_by="admin", now=NOW)
    path.write_text("synonyms: [\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="linli.understanding"):
        assert _reached(provider, UNCOVERED) == DIBAO
        assert _reached(provider, UNCOVERED) == DIBAO
    assert len(caplog.records) == 1 and "not loaded" in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    ("wording", "label", "code"),
    [
        ("", DIBAO, "wording_empty"),
        ("   ", DIBAO, "wording_empty"),
        ("低包\u200b咋弄", DIBAO, "wording_bad"),
        ("低" * 61, DIBAO, "wording_long"),
        ("办", DIBAO, "wording_short"),  # one character would catch far too much
        (UNCOVERED, "service:no_such_service", "label_unknown"),
        (UNCOVERED, "", "label_unknown"),
    ],
)
def test_a_wording_that_cannot_be_added_is_refused_and_nothing_is_written(
    tmp_path: Path, wording: str, label: str, code: str
) -> None:
    path = tmp_path / "overlay.yaml"
    with pytest.raises(Refused) as refused:
        synonyms.add(_provider(path), wording, label, added_by="admin", now=NOW)
    assert refused.value.code == code
    assert not path.exists()


def test_a_wording_another_intent_already_has_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    provider = _provider(path)
    service_name = provider.intents[DIBAO].title  # one of the service's own phrases
    with pytest.raises(Refused) as refused:
        synonyms.add(provider, service_name, "report:noise", added_by="admin", now=NOW)
    assert refused.value.code == "taken"
    synonyms.add(provider, UNCOVERED, DIBAO, added_by="admin", now=NOW)
    with pytest.raises(Refused) as again:
        synonyms.add(provider, UNCOVERED, "report:noise", added_by="admin", now=NOW)
    assert again.value.code == "taken"
    assert [s.label for s in load_overlay(path).synonyms] == [DIBAO]


def test_adding_the_same_wording_to_the_same_intent_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    provider = _provider(path)
    for _ in range(2):
        synonyms.add(provider, UNCOVERED, DIBAO, added_by="admin", now=NOW)
    assert len(load_overlay(path).synonyms) == 1


def test_two_workers_adding_at_once_keep_both_synonyms(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    workers = [_provider(path) for _ in range(4)]
    said = ["低包那个钱咋个领", "楼上天天蹦迪吵死", "门口灯泡黑了几天", "我妈那个独生子女的审核"]
    labels = [DIBAO, "report:noise", "report:street_light", "service:family_planning_review"]
    threads = [
        threading.Thread(target=synonyms.add, args=(w, text, label),
                         kwargs={"added_by": "admin", "now": NOW})
        for w, text, label in zip(workers, said, labels, strict=True)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(s.wording for s in load_overlay(path).synonyms) == sorted(said)
