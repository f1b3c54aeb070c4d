"""The API's list conventions: ?page=&per_page=&sort=, and one envelope for every list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list, how long, and in what order (`name` or `-name`)."""

    page: int
    per_page: int
    sort: str | None


def page_request(
    page: int = Query(1, ge=1, description="1-based page number"),
    per_page: int = Query(50, ge=1, le=MAX_PER_PAGE, description="items per page"),
    sort: str | None = Query(None, pattern=r"^-?[a-z_]+$", description="field, or -field"),
) -> PageRequest:
    """Read the list parameters of a request."""
    return PageRequest(page, per_page, sort)


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
