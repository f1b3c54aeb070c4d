"""The end-of-run plaintext check (tests/plaintext.py) finds what it is meant to find."""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.sealing import Sealer
from tests import plaintext
from tests.chat import DATA_KEY

MOBILE = "13912345678"
ID_NUMBER = "11010519491231002X"  # GB 11643's own example, valid check digit


@pytest.fixture
def planted() -> Iterator[Path]:
    """A directory outside the run's own, so the numbers planted here fail only these tests."""
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def test_personal_numbers_are_mobiles_and_valid_id_numbers() -> None:
    text = f"电话{MOBILE}，身份证{ID_NUMBER}，错号110105194912310021，订单12345678901234567890"
    assert plaintext.personal_numbers(text) == {MOBILE, ID_NUMBER}


def test_a_number_stored_in_plaintext_is_found_and_a_sealed_one_is_not(planted: Path) -> None:
    sealer = Sealer(DATA_KEY)
    database = planted / "linli.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE resident (name TEXT, mobile TEXT, id_card TEXT)")
        connection.execute(
            "INSERT INTO resident VALUES (?, ?, ?)", ("张三", MOBILE, sealer.seal(ID_NUMBER))
        )
    found = plaintext.leaks(plaintext.searched_files(planted), {MOBILE, ID_NUMBER})
    assert found == [(database, "139…5678")]


def test_a_logged_number_is_found(planted: Path) -> None:
    log = planted / "logs" / "main.log"
    log.parent.mkdir()
    handler = logging.FileHandler(log, encoding="utf-8")
    logger = logging.getLogger("linli.test.plaintext")
    logger.addHandler(handler)
    logger.propagate = False  # not into the run's own log
    try:
        logger.warning("resident %s called", ID_NUMBER.lower())
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        handler.close()
    assert plaintext.leaks(plaintext.searched_files(planted), {ID_NUMBER}) == [(log, "110…002X")]


def test_what_the_run_seals_or_hashes_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Put back whatever Sealer had (the run's own recorder) when the test ends.
    monkeypatch.setattr(Sealer, "seal", Sealer.seal)
    monkeypatch.setattr(Sealer, "lookup_hash", Sealer.lookup_hash)
    recorder = plaintext.Recorder()
    recorder.install()
    sealer = Sealer(DATA_KEY)
    sealer.seal(f'{{"said": "我的电话是{MOBILE}"}}')
    sealer.lookup_hash(ID_NUMBER)
    assert recorder.numbers == {MOBILE, ID_NUMBER}
