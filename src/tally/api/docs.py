"""`/docs`: the Swagger UI of the API, its script and style served from our own static files (vendored from
the npm package swagger-ui-dist, licence beside them in `tally/web/static/vendor/`), never from a CDN."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

SWAGGER_UI = "5.35.0"  # vendor/package.json pins the same version
DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

docs_router = APIRouter(include_in_schema=False)


def docs_page(app: FastAPI) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        swagger_js_url=f"/static/vendor/swagger-ui-bundle-{SWAGGER_UI}.js",
        swagger_css_url=f"/static/vendor/swagger-ui-{SWAGGER_UI}.css",
        swagger_favicon_url="/static/vendor/swagger-favicon-32x32.png",
    )


@docs_router.get(DOCS_URL)
def docs(request: Request) -> HTMLResponse:
    return docs_page(request.app)


@docs_router.get(OAUTH2_REDIRECT_URL)
def oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
