"""/docs and /openapi.json: the API's Swagger UI, every script and style served by the app
(intranets have no CDN); staff-only in production, open in dev and demo."""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.web.auth import NotSignedIn, resolve
from bot.web.context import context_of
from bot.web.db import WriteSession
from config.settings import Env

# Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes), as shipped by fastapi-offline.
ASSETS = Path(str(files("fastapi_offline") / "static"))
STATIC = "/docs/static"
OPENAPI = "/openapi.json"
OPEN_IN = (Env.dev, Env.demo)  # anywhere else (production) the API's map is for staff only
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# Only the app's own files and the one inline start-up script (by its hash) may run; Swagger UI
# sets inline styles and draws its icons from data: URLs, which is all it is allowed beyond that.
CSP = (
    "default-src 'none'; script-src 'self' {script}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Serve /docs and /openapi.json (create FastAPI with docs_url, redoc_url and openapi_url
    None)."""
    app.include_router(router)


def _open_to(request: Request, session: Session) -> bool:
    """Dev and demo show the docs to anyone; production to a signed-in console or a token."""
    if context_of(request).settings.env in OPEN_IN:
        return True
    return resolve(request, session) is not None


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, session: WriteSession) -> Response:
    """Swagger UI for /openapi.json, loading nothing from outside the app."""
    if not _open_to(request, session):
        return RedirectResponse("/console/login", status_code=303)
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{OPENAPI}",
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon.png",
        # Swagger UI would otherwise send the schema's address to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    page.headers["Content-Security-Policy"] = csp_for(bytes(page.body).decode("utf-8"))
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


def csp_for(html: str) -> str:
    """The page's Content-Security-Policy, allowing exactly its inline scripts by hash."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    return CSP.format(script=" ".join(hashes))


@router.get(OPENAPI)
def openapi(request: Request, session: WriteSession) -> JSONResponse:
    """The OpenAPI schema of the staff API (401 in production unless signed in)."""
    if not _open_to(request, session):
        raise NotSignedIn()
    return JSONResponse(request.app.openapi())


@router.get(STATIC + "/{name}")
def asset(name: str) -> FileResponse:
    """One of Swagger UI's files (a fixed list, so no path reaches outside it)."""
    if name not in MEDIA_TYPES:
        raise HTTPException(404, detail=[{"field": "name", "reason": "not found"}])
    return FileResponse(ASSETS / name, media_type=MEDIA_TYPES[name])
