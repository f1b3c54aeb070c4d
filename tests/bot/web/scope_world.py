"""Two committees in one sub-district and a third committee in another sub-district, each with
a report, a place, a staff member, an API token, an unreachable outbox message, audit entries
and what waits from WeChat — and a marker string for each, so a test can tell whose data an
answer shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from store.binding.models import Registration, ResidentBinding, SelfReport
from store.broadcasts.models import Broadcast
from store.campaigns.models import Campaign
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.places.models import Place
from store.registry.import_models import RegistryConflict, RegistryImport
from store.registry.models import Dwelling, Household, Residence, Resident, ResidentTag
from store.reports.models import Report, ReportPhoto
from store.reviews.models import Appointment, AppointmentSlot, ReviewRecord
from store.staff import audit
from store.staff import sessions as staff_sessions
from store.staff.models import StaffUser
from tests.chat import SEALER
from tests.staff_helpers import create_staff, token_for

HOME, OTHER = "示例街道", "另一个街道"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"


@dataclass
class Committee:
    """One committee's seeded objects and the markers that give them away in an answer."""

    key: str  # EAST, WEST, FARR (four letters: the masked openid shows the last four)
    committee_id: int
    staff: StaffUser
    headers: dict[str, str]
    token_id: int
    place_id: int
    reference: str
    resident_id: int = 0
    household_id: int = 0
    import_id: int = 0
    conflict_id: int = 0
    binding_id: int = 0
    registration_id: int = 0
    self_report_id: int = 0
    campaign_id: int = 0
    review_record_id: int = 0
    appointment_id: int = 0
    broadcast_id: int = 0

    @property
    def markers(self) -> list[str]:
        """Strings only this committee's data contains."""
        key = self.key
        return [self.reference, f"PLACE-{key}", self.staff.username, f"resident_{key}",
                f"…{key}", f"NOTICE-{key}", f"AUDIT-{key}", f"RES-{key}", f"HH-{key}",
                f"IMPORT-{key}", f"CONFLICT-{key}", f"REG-{key}",
                f"CAMPAIGN-{key}", f"BROADCAST-{key}"]  # fmt: skip


@dataclass
class World:
    """Everything seeded; `east` attacks `west` (same sub-district), `far_admin` attacks both."""

    east: Committee
    west: Committee
    far: Committee
    admin: StaffUser  # the home sub-district's admin
    far_admin: StaffUser
    far_admin_headers: dict[str, str]
    media_dir: Path
    # The home sub-district's own (no committee): a report, a call-list row, audit entries.
    home_markers: list[str] = field(default_factory=list)
    # Belonging to no sub-district at all: shown to nobody in the API or the console.
    nowhere_markers: list[str] = field(default_factory=list)


def _report(
    database: Engine, reference: str, committee_id: int | None, sub_district_id: int | None,
    place_id: int | None, now: datetime,
) -> int:  # fmt: skip
    with unit_of_work(database) as session:
        report = Report(
            reference=reference, committee_id=committee_id, sub_district_id=sub_district_id,
            category="shared_bike", description=f"DESC-{reference}", source="wechat",
            reporter_openid=f"o_reporter_{reference}", place_id=place_id, status="submitted",
            created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(report)
        session.flush()
        assert report.id is not None
        return report.id


def _unreachable(
    database: Engine, key: str, committee_id: int | None, sub_district_id: int | None,
    now: datetime,
) -> None:  # fmt: skip
    with unit_of_work(database) as session:
        message_id = outbox.enqueue(
            session, key=f"world-{key}", audience=outbox.RESIDENT,
            recipient=f"o_resident_{key}", kind="status_update",
            payload={"text": f"NOTICE-{key} 请回电 020-83001234"}, now=now,
            committee_id=committee_id, sub_district_id=sub_district_id,
        )  # fmt: skip
        assert message_id is not None
        outbox.settle(session, message_id, outbox.Outcome("unreachable", error="window_closed"),
                      now)  # fmt: skip


def _marker_entry(
    database: Engine, actor: audit.Actor, key: str, now: datetime, **scope: int | None
) -> None:
    with unit_of_work(database) as session:
        audit.record(session, actor=actor, action="test.marker", object_type="marker",
                     object_id=f"AUDIT-{key}", now=now, **scope)  # fmt: skip


def _resident(database: Engine, key: str, committee_id: int, place_id: int, now: datetime
              ) -> tuple[int, int]:  # fmt: skip
    """A registry resident (RES-key) in household HH-key, living at the place, tagged."""
    with unit_of_work(database) as session:
        household = Household(committee_id=committee_id, number=f"HH-{key}")
        dwelling = Dwelling(committee_id=committee_id, place_id=place_id, room="101")
        session.add_all([household, dwelling])
        session.flush()
        person = Resident(committee_id=committee_id, name=f"RES-{key}", household_id=household.id,
                          created_at=now, updated_at=now)  # fmt: skip
        session.add(person)
        session.flush()
        assert person.id is not None and household.id is not None and dwelling.id is not None
        session.add(Residence(resident_id=person.id, dwelling_id=dwelling.id, role="self"))
        session.add(ResidentTag(resident_id=person.id, tag="party_member"))
        return person.id, household.id


def _import(database: Engine, key: str, committee_id: int, resident_id: int, now: datetime
            ) -> tuple[int, int]:  # fmt: skip
    """A planned sheet import (IMPORT-key) and an open conflict it left (CONFLICT-key)."""
    with unit_of_work(database) as session:
        record = RegistryImport(committee_id=committee_id, stored_name=f"{key.lower()}.csv",
                                file_name=f"IMPORT-{key}.csv", counts={"new": 1},
                                rows_total=1, created_at=now)  # fmt: skip
        session.add(record)
        session.flush()
        assert record.id is not None
        conflict = RegistryConflict(import_id=record.id, committee_id=committee_id,
                                    resident_id=resident_id, field="name",
                                    sheet_value=f"CONFLICT-{key}", created_at=now,
                                    source_detail=f"IMPORT-{key}.csv:2")  # fmt: skip
        session.add(conflict)
        session.flush()
        assert conflict.id is not None
        return record.id, conflict.id


def _wechat(database: Engine, key: str, committee_id: int, resident_id: int, now: datetime
            ) -> tuple[int, int, int]:  # fmt: skip
    """What waits for staff from WeChat: a proxy request for RES-key, a registration (REG-key)
    and a change of RES-key's mobile, each from an openid ending in the key."""
    with unit_of_work(database) as session:
        binding = ResidentBinding(openid=f"o_proxy_{key}", resident_id=resident_id,
                                  committee_id=committee_id, kind="proxy", relation="child",
                                  status="pending", given_name=f"RES-{key}",
                                  requested_at=now)  # fmt: skip
        registration = Registration(openid=f"o_newcomer_{key}", committee_id=committee_id,
                                    name=f"REG-{key}", mobile_sealed=SEALER.seal("13900001234"),
                                    address=f"PLACE-{key} 101", status="pending",
                                    created_at=now)  # fmt: skip
        change = SelfReport(resident_id=resident_id, openid=f"o_self_{key}", field="mobile",
                            value_sealed=SEALER.seal_json("13900005678"), shown="139****5678",
                            status="pending", created_at=now)  # fmt: skip
        session.add_all([binding, registration, change])
        session.flush()
        assert binding.id and registration.id and change.id
        return binding.id, registration.id, change.id


def _campaign(database: Engine, key: str, committee_id: int, now: datetime) -> int:
    """A confirmation campaign (CAMPAIGN-key) saved, not started."""
    with unit_of_work(database) as session:
        campaign = Campaign(committee_id=committee_id, title=f"CAMPAIGN-{key}",
                            message="{details}", created_at=now)  # fmt: skip
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        return campaign.id


def _broadcast(database: Engine, key: str, committee_id: int, place_id: int, now: datetime) -> int:
    """A notice (BROADCAST-key) to the committee's building, saved, not sent."""
    with unit_of_work(database) as session:
        broadcast = Broadcast(committee_id=committee_id, title=f"BROADCAST-{key}",
                              message=f"BROADCAST-{key}", filter={"place_id": place_id},
                              created_at=now)  # fmt: skip
        session.add(broadcast)
        session.flush()
        assert broadcast.id is not None
        return broadcast.id


def _review(database: Engine, committee_id: int, resident_id: int, now: datetime
            ) -> tuple[int, int]:  # fmt: skip
    """RES-key's 年审 record of this year, reminded, with a visit booked within the hour."""
    with unit_of_work(database) as session:
        record = ReviewRecord(programme="family_planning_review", cycle=now.year,
                              resident_id=resident_id, committee_id=committee_id,
                              state="booked", opens_on=now.date(), closes_on=None,
                              created_at=now, updated_at=now)  # fmt: skip
        slot = AppointmentSlot(committee_id=committee_id, starts_at=now, ends_at=now,
                               capacity=4, taken=1)  # fmt: skip
        session.add_all([record, slot])
        session.flush()
        assert record.id is not None and slot.id is not None
        visit = Appointment(record_id=record.id, slot_id=slot.id, resident_id=resident_id,
                            state="booked", created_at=now, updated_at=now)  # fmt: skip
        session.add(visit)
        session.flush()
        assert visit.id is not None
        return record.id, visit.id


def _committee(
    database: Engine, key: str, name: str, district: str, number: int, media_dir: Path,
    now: datetime,
) -> Committee:  # fmt: skip
    person = create_staff(database, f"{key.lower()}1", committee=name, district=district)
    assert person.committee_id is not None
    headers = token_for(database, person)
    with unit_of_work(database) as session:
        place = Place(committee_id=person.committee_id, kind="building", name=f"PLACE-{key}")
        session.add(place)
        session.flush()
        assert place.id is not None
        place_id = place.id
        token_id = staff_sessions.tokens_of(session, person)[0].id or 0
    reference = f"BS-20261128-000{number}"
    report_id = _report(database, reference, person.committee_id, person.sub_district_id,
                        place_id, now)  # fmt: skip
    # A stored photo: were the scope check missing, the file would be served.
    (media_dir / str(report_id)).mkdir(parents=True)
    (media_dir / str(report_id) / "1.jpg").write_bytes(JPEG)
    with unit_of_work(database) as session:
        session.add(ReportPhoto(report_id=report_id, position=1, media_id="m", status="stored",
                                path=f"{report_id}/1.jpg", content_type="image/jpeg",
                                size=len(JPEG), next_attempt_at=now, created_at=now))  # fmt: skip
    _unreachable(database, key, person.committee_id, None, now)
    _marker_entry(database, audit.Actor.of(person), key, now, committee_id=person.committee_id)
    resident_id, household_id = _resident(database, key, person.committee_id, place_id, now)
    import_id, conflict_id = _import(database, key, person.committee_id, resident_id, now)
    waiting = _wechat(database, key, person.committee_id, resident_id, now)
    campaign_id = _campaign(database, key, person.committee_id, now)
    review_record_id, appointment_id = _review(database, person.committee_id, resident_id, now)
    broadcast_id = _broadcast(database, key, person.committee_id, place_id, now)
    return Committee(key, person.committee_id, person, headers, token_id, place_id, reference,
                     resident_id, household_id, import_id, conflict_id, *waiting,
                     campaign_id=campaign_id, review_record_id=review_record_id,
                     appointment_id=appointment_id, broadcast_id=broadcast_id)  # fmt: skip


def build(database: Engine, media_dir: Path) -> World:
    """Seed the three committees, two admins and the sub-district-level objects."""
    now = datetime.now(UTC)  # Open311 lists the last 90 days
    east = _committee(database, "EAST", "东风社区居委会", HOME, 1, media_dir, now)
    west = _committee(database, "WEST", "西湖社区居委会", HOME, 2, media_dir, now)
    far = _committee(database, "FARR", "远方居委会", OTHER, 3, media_dir, now)
    admin = create_staff(database, "admin_home", role="subdistrict_admin", committee=None)
    far_admin = create_staff(database, "admin_far", role="subdistrict_admin", committee=None,
                             district=OTHER)  # fmt: skip
    home = east.staff.sub_district_id
    # The home sub-district's own: a report of no committee, its call-list row, admin entries.
    _report(database, "BS-20261128-0004", None, home, None, now)
    _unreachable(database, "HOME", None, home, now)
    _marker_entry(database, audit.Actor.of(admin), "HOME", now)
    _marker_entry(database, audit.CLI, "HNOC", now, sub_district_id=home)
    # Nobody's: a message Linli could not place, a bare command-line action.
    _unreachable(database, "NONE", None, None, now)
    _marker_entry(database, audit.CLI, "NONE", now)
    return World(
        east, west, far, admin, far_admin, token_for(database, far_admin), media_dir,
        home_markers=["BS-20261128-0004", "resident_HOME", "…HOME", "NOTICE-HOME",
                      "AUDIT-HOME", "AUDIT-HNOC"],
        nowhere_markers=["resident_NONE", "…NONE", "NOTICE-NONE", "AUDIT-NONE"],
    )  # fmt: skip
