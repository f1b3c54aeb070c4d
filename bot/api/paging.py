"""The API's conventions: ?page=&per_page=&sort=, one envelope for every list, and ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request
from pydantic import BaseModel, BeforeValidator, Field, Strict
from sqlmodel import Session

from store import paging

MAX_PER_PAGE = 200
# A larger id than store.paging.MAX_ID is a 422, not a driver error.
MAX_ID = paging.MAX_ID


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
    """One page of a query's rows and the total count, sorted by an allowed field (the one
    paginator, store.paging; an unknown field is refused as `sort`)."""
    order = paging.ordering(sortable, request.sort, [default])
    return paging.page_of(session, query, page=request.page, per_page=request.per_page, order=order)


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route reads, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


def _refuse_repeated(request: Request) -> None:
    """Refuse a query parameter given twice: every filter takes one value, and the framework
    would silently keep only the last (?number=1&number=2 would list number 2)."""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        detail = [{"field": repeated[0] or "query", "reason": "given more than once"}]
        raise HTTPException(422, detail=detail)


def declared_only(request: Request) -> None:
    """Refuse a query parameter the matched route does not declare (a mistyped filter would
    otherwise be ignored and list everyone), or one given twice; for a router's `dependencies`."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared = _query_names(dependant)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        detail = [{"field": unknown[0] or "query", "reason": "not a parameter of this route"}]
        raise HTTPException(422, detail=detail)
    _refuse_repeated(request)


def only(*names: str) -> Callable[[Request], None]:
    """A dependency refusing a query parameter the route does not read (a mistyped filter would
    otherwise list everyone)."""
    allowed = set(names)

    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            detail = [{"field": unknown[0] or "query", "reason": "not a parameter of this route"}]
            raise HTTPException(422, detail=detail)
        _refuse_repeated(request)

    return check
