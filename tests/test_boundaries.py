"""Route modules build and run no SQL: the precise form of the rule that .importlinter can only
state for whole packages (it sees `sqlmodel`, not the names imported from it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUTE_PACKAGES = ("bot/api", "bot/console", "bot/reports/open311")
ORM = ("sqlmodel", "sqlalchemy")
# The query builders; a route that needs one asks a store service instead.
BUILDERS = frozenset({"select", "update", "delete", "insert", "func", "col", "text"})
# What a session runs or writes; a route hands its session to store services, which call these.
SESSION_CALLS = frozenset(
    {"exec", "execute", "scalar", "scalars", "get", "add", "add_all", "delete", "merge", "flush"}
)


def _orm(module: str) -> bool:
    return module.split(".")[0] in ORM


def query_builder_imports(source: str) -> list[tuple[int, str]]:
    """(line, import) for every way a module's source reaches a query builder."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            # `import sqlalchemy as sa` hands out sa.select.
            found += [(node.lineno, alias.name) for alias in node.names if _orm(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and _orm(node.module):
            for alias in node.names:
                sql_module = node.module.split(".")[1:2] == ["sql"] or alias.name == "sql"
                if alias.name in BUILDERS or alias.name == "*" or sql_module:
                    found.append((node.lineno, f"{node.module}.{alias.name}"))
    return sorted(found)


def session_calls(source: str) -> list[tuple[int, str]]:
    """(line, call) for every query or write a module runs on a session itself."""
    return sorted(
        (node.lineno, f"{node.func.value.id}.{node.func.attr}")
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id.endswith("session")
        and node.func.attr in SESSION_CALLS
    )


def _route_modules() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
        for package in ROUTE_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


def test_the_check_finds_every_way_to_import_a_query_builder() -> None:
    source = "\n".join(
        [
            "from sqlmodel import Session, select",
            "from sqlalchemy import func as f",
            "import sqlalchemy as sa",
            "from sqlalchemy.sql import expression",
            "from sqlmodel import *",
            "def later():",
            "    from sqlmodel import col",
            "from sqlalchemy.engine import Engine",
            "from store.reports import select",
        ]
    )
    assert query_builder_imports(source) == [
        (1, "sqlmodel.select"),
        (2, "sqlalchemy.func"),
        (3, "sqlalchemy"),
        (4, "sqlalchemy.sql.expression"),
        (5, "sqlmodel.*"),
        (7, "sqlmodel.col"),
    ]


def test_route_modules_import_no_query_builder() -> None:
    offenders = [
        f"{path}:{line}: {name}"
        for path, source in _route_modules()
        for line, name in query_builder_imports(source)
    ]
    assert offenders == [], "SQL belongs in store/; these route modules build it:\n" + "\n".join(
        offenders
    )


def test_the_check_finds_queries_run_on_a_session() -> None:
    source = "\n".join(
        [
            "people = session.exec(staff.visible(scope)).all()",
            "place = db_session.get(Place, 3)",
            "cookie = request.cookies.get('s')",
            "found = reports.by_reference(session, reference)",
        ]
    )
    assert session_calls(source) == [(1, "session.exec"), (2, "db_session.get")]


def test_route_modules_run_no_query_themselves() -> None:
    offenders = [
        f"{path}:{line}: {call}"
        for path, source in _route_modules()
        for line, call in session_calls(source)
    ]
    assert offenders == [], "Queries belong in store services; these routes run them:\n" + (
        "\n".join(offenders)
    )
