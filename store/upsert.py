"""Dialect-specific statements, built once per dialect and reused on the hot path."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_for(session_or_dialect: Session | str, table: Any) -> Any:
    """A dialect insert() that offers on_conflict_do_nothing / _do_update."""
    dialect = (
        session_or_dialect
        if isinstance(session_or_dialect, str)
        else session_or_dialect.get_bind().dialect.name
    )
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def binds(table: Any, names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Bind parameters named and typed after the table's columns."""
    columns = table.__table__.c
    return {name: bindparam(name, type_=columns[name].type) for name in names}


def connection(session: Session) -> Connection:
    """The session's connection: Core statements skip the ORM's per-call work."""
    return session.connection()


def prebuilt(build: Callable[..., Any]) -> Callable[..., Any]:
    """Cache a statement builder per dialect (and other hashable arguments)."""
    return cache(build)


def dialect_of(session: Session) -> str:
    """The session's dialect name."""
    return session.get_bind().dialect.name
