"""The committee's places: buildings (楼栋) and named public places (小区门口, 停车场 …)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target), nullable=nullable, index=index),
    )


class Place(SQLModel, table=True):
    """A building (楼栋) or a named public place (小区门口, 停车场 …) of one committee."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("committee_id", "name", name="uq_place_name"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = _fk("committee.id")
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # building or public
    name: str = Field(sa_column=Column(String(100), nullable=False))
    grid_area: str | None = Field(default=None, sa_column=Column(String(100)))
    handler_id: int | None = _fk("staff_user.id", nullable=True)
    lat: float | None = Field(default=None)
    lng: float | None = Field(default=None)
