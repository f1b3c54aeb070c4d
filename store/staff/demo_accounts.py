"""Which staff accounts of a list a database holds: production refuses a demo-seeded database."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.staff.models import StaffUser


def present(database: Engine, usernames: Iterable[str]) -> list[str]:
    """The usernames that exist, sorted; none for a database not created or migrated yet.

    Raises SQLAlchemyError when the database cannot be reached.
    """
    path = database.url.database
    if (
        database.dialect.name == "sqlite"
        and path
        and path != ":memory:"
        and not Path(path).exists()
    ):
        return []  # not created yet; connecting would create it
    if not inspect(database).has_table(StaffUser.__tablename__):
        return []
    query = select(StaffUser.username).where(col(StaffUser.username).in_(list(usernames)))
    with Session(database) as session:
        return sorted(session.exec(query))
