"""Every route of an app, for the tests that must cover each one (access, hostile input)."""

from __future__ import annotations

from fastapi.routing import APIRoute


def all_routes(routes: list[object]) -> list[APIRoute]:
    """Every APIRoute, including those of included routers (FastAPI keeps those nested)."""
    flat: list[APIRoute] = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            flat.extend(all_routes(nested.routes))
        elif isinstance(route, APIRoute):
            flat.append(route)
    return flat
