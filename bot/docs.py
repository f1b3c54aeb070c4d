"""/docs: the API's Swagger UI, every script and style served by the app (intranets have no CDN)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

# Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes), as shipped by fastapi-offline.
ASSETS = Path(str(files("fastapi_offline") / "static"))
STATIC = "/docs/static"
MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Serve /docs from local files (create FastAPI with docs_url=None and redoc_url=None)."""
    app.include_router(router)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI for /openapi.json, loading nothing from outside the app."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon.png",
        # Swagger UI would otherwise send the schema's address to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(STATIC + "/{name}")
def asset(name: str) -> FileResponse:
    """One of Swagger UI's files (a fixed list, so no path reaches outside it)."""
    if name not in MEDIA_TYPES:
        raise HTTPException(404, detail=[{"field": "name", "reason": "not found"}])
    return FileResponse(ASSETS / name, media_type=MEDIA_TYPES[name])
