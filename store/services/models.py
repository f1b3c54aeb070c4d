"""Tables of the service catalogue's records: each checklist a resident was given (what they
asked about and what they lacked), and each application made in chat with its timeline.

An application's fields may hold a name, an address and a mobile: they are kept whole only
sealed with LINLI_DATA_KEY (`fields_sealed`); what lists show is kept beside them, masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from store.columns import fk, text, when
from store.types import JSONType

SUBMITTED, ACCEPTED, READY, COLLECTED, REJECTED = (
    "submitted", "accepted", "ready", "collected", "rejected",
)  # fmt: skip
STATUSES = (SUBMITTED, ACCEPTED, READY, COLLECTED, REJECTED)
OPEN = (SUBMITTED, ACCEPTED, READY)


def _json(*, nullable: bool = False) -> Any:
    factory = None if nullable else list
    return Field(default_factory=factory, sa_column=Column(JSONType, nullable=nullable))


class ChecklistGiven(SQLModel, table=True):
    """One personal checklist (办事清单) a resident was given: the service and the version of its
    file, the answers to its conditions, the documents listed and, after a walk-through, those
    the resident said they lack."""

    __tablename__ = "checklist_given"
    __table_args__ = (Index("ix_checklist_given_service_created", "service", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    openid: str = text(64, nullable=False)
    resident_id: int | None = fk("resident.id")
    committee_id: int | None = fk("committee.id", index=True)
    # Kept for a checklist of no committee, so its sub-district's admins still count it.
    sub_district_id: int | None = fk("sub_district.id")
    service: str = text(64, nullable=False)
    version: str = text(32, nullable=False)
    answers: list[Any] = _json()  # [[condition key, option key], …]
    items: list[Any] = _json()  # document keys listed
    missing: list[Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    created_at: datetime = when()


class ServiceApplication(SQLModel, table=True):
    """An application a resident made in chat (开具居住证明), worked by staff from 办事申请."""

    __tablename__ = "service_application"
    __table_args__ = (
        Index("ix_service_application_committee_status", "committee_id", "status"),
        Index("ix_service_application_service_created", "service", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    openid: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    resident_id: int | None = fk("resident.id")
    committee_id: int | None = fk("committee.id")
    sub_district_id: int | None = fk("sub_district.id")
    service: str = text(64, nullable=False)
    version: str = text(32, nullable=False)
    # [[field key, answer], …] as JSON, sealed; `fields_shown` the same with each answer masked.
    fields_sealed: str = text(nullable=False)
    fields_shown: list[Any] = _json()
    status: str = text(16, nullable=False)  # submitted, accepted, ready, collected, rejected
    assignee_id: int | None = fk("staff_user.id")
    note: str | None = text()  # the last note staff wrote; a rejection's reason
    created_at: datetime = when()
    updated_at: datetime = when()


class ServiceApplicationEvent(SQLModel, table=True):
    """One line of an application's timeline: the status it left and reached, who, the note."""

    __tablename__ = "service_application_event"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = fk("service_application.id", nullable=False, index=True)
    at: datetime = when()
    from_status: str | None = text(16)
    to_status: str = text(16, nullable=False)
    actor_id: int | None = fk("staff_user.id")
    actor: str = text(100, nullable=False)
    note: str = text(nullable=False, default="")


class ServiceApplicationCounter(SQLModel, table=True):
    """The last application number handed out per day (SQ-20261129-0007)."""

    __tablename__ = "service_application_counter"

    day: str = Field(sa_column=Column(String(8), primary_key=True))
    last: int = Field(default=0)
