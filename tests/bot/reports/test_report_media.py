"""Photos residents send with a report: saved with the report, copied from WeChat by the
report-media job, and shown to staff of the report's committee only."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.reports.photos import image_type
from store.reports.models import ReportPhoto
from tests.bot.reports.report_rig import Desk, open_desk
from tests.report_helpers import COMMITTEE, seed
from tests.staff_helpers import create_staff, token_for

# The smallest files that really are a JPEG and a PNG (their first bytes, at least).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photos_of(desk: Desk) -> list[ReportPhoto]:
    with Session(desk.database) as session:
        return list(session.exec(select(ReportPhoto).order_by(ReportPhoto.position)))


def test_a_photo_from_the_chat_is_fetched_to_disk_and_shown_to_the_committees_staff(
    database: Engine, tmp_path: Path
) -> None:
    seed(database)
    desk = open_desk(database, tmp_path)
    desk.upload("media-bike-1", JPEG, "image/jpeg")
    desk.upload("media-bike-2", PNG, "image/png")
    reference = desk.report("o_zhang", photos=("media-bike-1", "media-bike-2"))

    # The webhook saved the report and its photos; nothing was downloaded yet.
    assert [(p.status, p.media_id) for p in photos_of(desk)] == [
        ("pending", "media-bike-1"), ("pending", "media-bike-2")]  # fmt: skip
    assert not desk.media_dir.exists()
    clerk = token_for(database, create_staff(database, "li", committee=COMMITTEE))
    url = f"/api/v1/reports/{reference}/photos/1"
    assert desk.api("GET", url, clerk).status_code == 404  # not stored yet

    assert desk.fetch_photos() == 2
    first, second = photos_of(desk)
    report_id = desk.stored(reference).id
    assert (first.status, first.path, first.content_type, first.size, first.attempts) == (
        "stored", f"{report_id}/1.jpg", "image/jpeg", len(JPEG), 1)  # fmt: skip
    assert (second.status, second.path) == ("stored", f"{report_id}/2.png")
    assert (desk.media_dir / first.path).read_bytes() == JPEG
    # Written to a temporary file and renamed: nothing half-written is left behind.
    assert sorted(p.name for p in (desk.media_dir / str(report_id)).iterdir()) == ["1.jpg", "2.png"]
    assert desk.fetch_photos() == 0  # stored photos are never fetched again

    west = token_for(database, create_staff(database, "zhao", committee="西湖社区居委会"))
    shown = desk.api("GET", url, clerk)
    assert shown.status_code == 200
    assert (shown.content, shown.headers["content-type"]) == (JPEG, "image/jpeg")
    assert "private" in shown.headers["cache-control"]
    assert desk.api("GET", url, {}).status_code == 401
    assert desk.api("GET", url, west).status_code == 404
    assert desk.api("GET", f"/api/v1/reports/{reference}/photos/3", clerk).status_code == 404
    detail = desk.api("GET", f"/api/v1/reports/{reference}", clerk).json()
    assert [(p["position"], p["status"], p["url"]) for p in detail["photos"]] == [
        (1, "stored", url), (2, "stored", f"/api/v1/reports/{reference}/photos/2")]  # fmt: skip


def test_a_photo_wechat_no_longer_has_fails_and_the_report_is_intact(
    database: Engine, tmp_path: Path
) -> None:
    seed(database)
    desk = open_desk(database, tmp_path)
    desk.upload("media-old", JPEG)
    reference = desk.report("o_zhang", photos=("media-old",))
    desk.later(days=3, seconds=1)  # temporary media lasts 3 days

    assert desk.fetch_photos() == 1
    [photo] = photos_of(desk)
    assert (photo.status, photo.attempts, photo.path) == ("failed", 1, None)
    assert "40007" in (photo.error or "")
    report = desk.stored(reference)
    assert (report.status, report.description) == ("submitted", "楼道口停满了共享单车")
    desk.later(hours=1)
    assert desk.fetch_photos() == 0  # failed for good

    clerk = token_for(database, create_staff(database, "li", committee=COMMITTEE))
    detail = desk.api("GET", f"/api/v1/reports/{reference}", clerk).json()
    assert detail["status"] == "submitted"
    assert [(p["status"], p["url"]) for p in detail["photos"]] == [("failed", None)]
    assert desk.api("GET", f"/api/v1/reports/{reference}/photos/1", clerk).status_code == 404


def test_a_photo_that_cannot_be_written_is_tried_again_later_and_given_up_after_eight_tries(
    database: Engine, tmp_path: Path
) -> None:
    seed(database)
    desk = open_desk(database, tmp_path)
    desk.upload("media-1", JPEG)
    desk.upload("media-2", JPEG)
    first = desk.stored(desk.report("o_zhang", photos=("media-1",)))
    # A file where the report's folder belongs: the disk refuses, as a full or broken one would.
    desk.media_dir.mkdir()
    blocker = desk.media_dir / str(first.id)
    blocker.write_bytes(b"")

    assert desk.fetch_photos() == 1
    [photo] = photos_of(desk)
    assert (photo.status, photo.attempts) == ("pending", 1)
    assert "Error" in (photo.error or "")
    assert photo.next_attempt_at > desk.clock.now
    assert desk.fetch_photos() == 0  # backing off
    blocker.unlink()
    desk.later(hours=1)
    assert desk.fetch_photos() == 1
    assert (photos_of(desk)[0].status, photos_of(desk)[0].attempts) == ("stored", 2)

    second = desk.stored(desk.report("o_li", photos=("media-2",), place="5栋"))
    (desk.media_dir / str(second.id)).write_bytes(b"")
    for _ in range(8):
        desk.fetch_photos()
        desk.later(hours=2)
    given_up = photos_of(desk)[1]
    assert (given_up.status, given_up.attempts) == ("failed", 8)
    desk.later(days=1)
    assert desk.fetch_photos() == 0


def test_linli_reports_fetch_media_runs_the_job_once(database: Engine, tmp_path: Path) -> None:
    url = database.url.render_as_string(hide_password=False)
    env = {"LINLI_ENV": "dev", "LINLI_DATABASE_URL": url,
           "LINLI_MEDIA_DIR": str(tmp_path / "media")}  # fmt: skip
    result = CliRunner().invoke(cli, ["reports", "fetch-media"], env=env)
    assert result.exit_code == 0, result.output
    assert "0 stored, 0 to retry, 0 failed" in result.output


def test_a_file_that_is_not_really_an_image_is_never_stored_whatever_it_is_called(
    database: Engine, tmp_path: Path
) -> None:
    seed(database)
    desk = open_desk(database, tmp_path)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    desk.upload("media-svg", svg, "image/svg+xml")
    desk.upload("media-html", b"<html><script>alert(1)</script></html>", "image/jpeg")
    desk.upload("media-png", PNG, "image/jpeg")  # a real PNG, mislabelled
    reference = desk.report("o_zhang", photos=("media-svg", "media-html", "media-png"))
    assert desk.fetch_photos() == 3
    svg_photo, html_photo, png_photo = photos_of(desk)
    for failed in (svg_photo, html_photo):
        assert (failed.status, failed.path) == ("failed", None)
        assert "not an image" in (failed.error or "")
    report_id = desk.stored(reference).id
    assert (png_photo.status, png_photo.content_type, png_photo.path) == (
        "stored", "image/png", f"{report_id}/3.png")  # fmt: skip
    assert sorted(p.name for p in (desk.media_dir / str(report_id)).iterdir()) == ["3.png"]
    clerk = token_for(database, create_staff(database, "li", committee=COMMITTEE))
    assert desk.api("GET", f"/api/v1/reports/{reference}/photos/1", clerk).status_code == 404
    shown = desk.api("GET", f"/api/v1/reports/{reference}/photos/3", clerk)
    assert (shown.content, shown.headers["content-type"]) == (PNG, "image/png")
    assert shown.headers["cache-control"] == "private, no-store"
    assert shown.headers["x-content-type-options"] == "nosniff"


def test_image_types_are_known_by_their_first_bytes() -> None:
    webp = b"RIFF\x24\x00\x00\x00WEBPVP8 "
    for data, kind in ((JPEG, "image/jpeg"), (PNG, "image/png"), (b"GIF89a...", "image/gif"),
                       (b"GIF87a...", "image/gif"), (webp, "image/webp"),
                       (b"BM\x00\x00", "image/bmp")):  # fmt: skip
        assert image_type(data) == kind
    for data in (b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"%PDF-1.7", b"<svg/>", b"\xff\xd8"):
        assert image_type(data) is None
