"""One page of any query: the rows in an allowed order, and how many match in all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from store.errors import Refused

# Ids are INTEGER columns (32-bit in PostgreSQL): a larger number names no row.
MAX_ID = 2**31 - 1


def ordering(sortable: Mapping[str, Any], sort: str | None, default: Sequence[Any]) -> list[Any]:
    """The ORDER BY of `sort` (`name`, or `-name` for descending) among the sortable columns;
    `default` when none is asked for, and after the asked one so equal values page stably."""
    if not sort:
        return list(default)
    name = sort.lstrip("-")
    if name not in sortable:
        raise Refused("sort", f"one of {', '.join(sorted(sortable))}")
    column = sortable[name]
    return [column.desc() if sort.startswith("-") else column, *default]


def page_of(
    session: Session,
    query: Any,
    *,
    page: int,
    per_page: int,
    order: Sequence[Any],
    count_up_to: int | None = None,
) -> tuple[Sequence[Any], int]:
    """Rows of the 1-based page `page` of a query in this order, and the total count.

    With `count_up_to`, counting stops one row past it: a total above `count_up_to` means "more
    than that" (counting all 70,000 residents called 王 in a district costs more than the page)."""
    counted = query if count_up_to is None else query.limit(count_up_to + 1)
    total = session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    offset = (page - 1) * per_page
    rows = session.scalars(query.order_by(*order).offset(offset).limit(per_page)).all()
    return rows, total
