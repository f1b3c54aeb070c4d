"""The request's database session: one per request, for routes and for sign-in alike.

`WriteSession` commits once, when the route returns, and before the answer is sent (so a failed
commit is never reported as done); it rolls back if the route raises. `ReadSession` never writes.
Signing in writes (the session's or token's last use), so `require_staff` takes the WriteSession:
a signed-in route takes WriteSession too, even to read, and FastAPI hands both the same session.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.web.context import context_of
from store.db import unit_of_work


def _database(request: Request) -> Engine:
    return context_of(request).database


def read_session(request: Request) -> Iterator[Session]:
    """A session that reads; nothing it does is committed."""
    with Session(_database(request), expire_on_commit=False) as session:
        yield session


def write_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back if it raises."""
    with unit_of_work(_database(request)) as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
