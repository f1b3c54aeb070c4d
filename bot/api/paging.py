"""The API's conventions: ?page=&per_page=&sort=, one envelope for every list, and ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException, Query
from pydantic import BaseModel, BeforeValidator, Field, Strict
from sqlalchemy import func, select
from sqlmodel import Session

MAX_PER_PAGE = 200
# Ids are INTEGER columns (32-bit in PostgreSQL): a larger number is a 422, not a driver error.
MAX_ID = 2**31 - 1


def _whole(value: object) -> object:
    # JSON Schema counts 7.0 as an integer; pydantic's strict mode would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An id in a JSON body: a whole number in range, never "7" or true.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), BeforeValidator(_whole)]

# PostgreSQL text cannot hold NUL: strings refuse it here (422), not in the driver (500).
TEXT = r"^[^\x00]*$"
NAME = r"^[^\x00]*[^\s\x00][^\x00]*$"  # TEXT with at least one visible character


def one_of(values: Iterable[str]) -> str:
    """A pattern that matches exactly one of these words (a filter over a fixed set)."""
    return rf"^({'|'.join(sorted(values))})$"


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list, how long, and in what order (`name` or `-name`)."""

    page: int
    per_page: int
    sort: str | None


def page_request(*sortable: str) -> Callable[..., PageRequest]:
    """The list parameters of a route that sorts by these fields (the schema names them)."""
    fields = sorted(sortable)

    def read(
        page: int = Query(1, ge=1, le=MAX_ID // MAX_PER_PAGE, description="1-based page number"),
        per_page: int = Query(50, ge=1, le=MAX_PER_PAGE, description="items per page"),
        sort: str | None = Query(
            None,
            pattern=rf"^-?({'|'.join(fields)})$",
            description=f"one of {', '.join(fields)}; -field sorts descending",
        ),
    ) -> PageRequest:
        return PageRequest(page, per_page, sort)

    return read


class Page(BaseModel):
    """Every list answer: the items of this page and how many there are in all."""

    items: list[Any]
    page: int
    per_page: int
    total: int


def paginate(
    session: Session, query: Any, request: PageRequest, *, sortable: dict[str, Any], default: Any
) -> tuple[Sequence[Any], int]:
    """One page of a query's rows and the total count, sorted by an allowed field."""
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = default
    if request.sort:
        name = request.sort.lstrip("-")
        if name not in sortable:
            allowed = ", ".join(sorted(sortable))
            raise HTTPException(422, detail=[{"field": "sort", "reason": f"one of {allowed}"}])
        order = sortable[name].desc() if request.sort.startswith("-") else sortable[name]
    offset = (request.page - 1) * request.per_page
    rows = session.scalars(query.order_by(order).offset(offset).limit(request.per_page)).all()
    return rows, total
