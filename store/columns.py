"""Column helpers the table modules share: a foreign key, text, a UTC time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlmodel import Field

from store.types import UTCDateTime


def fk(target: str, *, nullable: bool = True, index: bool = False) -> Any:
    """An integer foreign key to `target` ("table.id"), None until set."""
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target), nullable=nullable, index=index),
    )


def text(length: int | None = None, *, nullable: bool = True, default: Any = None) -> Any:
    """A string column of at most `length` characters (None: unbounded text)."""
    kind = Text() if length is None else String(length)
    return Field(default=default, sa_column=Column(kind, nullable=nullable))


def when(*, nullable: bool = False) -> Any:
    """A timezone-aware UTC time."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))
