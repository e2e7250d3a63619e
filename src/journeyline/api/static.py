"""Browser-facing static routes: a home page, the ``journeyline.js`` tracker, the demo shop.

``GET /journeyline.js`` serves the tracker to any site (``Access-Control-Allow-Origin: *``, five
minutes of caching), and ``GET /journeyline-offers.js``, which the tracker loads to show web
offers, the same way. ``GET /demo/`` and ``GET /demo/{page}`` serve the demo shop with the
``{{DEPLOYMENT_ID}}`` placeholder of its tag replaced by ``DEMO_DEPLOYMENT_ID``. Only files that
exist directly in the demo folder are served, by exact name, so no path can leave it; anything
else is a 404 in the Genesys error shape.
"""

from __future__ import annotations

import re
from functools import cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api.contract import Content, Operation, declare
from journeyline.api.errors import error_body, json_response
from journeyline.ui import (
    DEMO_DEPLOYMENT_ID,
    DEMO_DIR,
    DEPLOYMENT_PLACEHOLDER,
    HOME_PATH,
    OFFERS_PATH,
    TRACKER_PATH,
)

TRACKER_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
    "X-Content-Type-Options": "nosniff",
}
DEMO_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".js": "application/javascript; charset=utf-8",
}
PAGE_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[a-z]+)?")


@cache
def script_source(name: str) -> bytes:
    return {"tracker": TRACKER_PATH, "offers": OFFERS_PATH}[name].read_bytes()


@cache
def demo_files() -> dict[str, bytes]:
    """The demo shop's files by name, placeholders filled in."""
    files: dict[str, bytes] = {}
    for path in sorted(DEMO_DIR.iterdir()):
        if not path.is_file() or path.suffix not in MEDIA_TYPES:
            continue
        content = path.read_bytes()
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            content = text.replace(DEPLOYMENT_PLACEHOLDER, DEMO_DEPLOYMENT_ID).encode()
        files[path.name] = content
    return files


def _script(summary: str) -> Operation:
    return Operation(
        "GET",
        summary,
        {200: Content("application/javascript")},
        auth="none",
        extension=True,
        description="For any site: `Access-Control-Allow-Origin: *`, five minutes of caching.",
    )


@declare(_script("The website tracker (docs/web.md)"))
async def tracker(request: Request) -> Response:
    source = script_source("tracker")
    return Response(source, media_type="application/javascript", headers=TRACKER_HEADERS)


@declare(_script("What shows web offers; the tracker loads it (docs/offers.md)"))
async def offers_script(request: Request) -> Response:
    source = script_source("offers")
    return Response(source, media_type="application/javascript", headers=TRACKER_HEADERS)


def not_found(what: str) -> Response:
    return json_response(error_body(404, "not.found", f"no such file {what}", "page"), 404)


async def demo_page(request: Request) -> Response:
    page = str(request.path_params.get("page") or "index.html")
    if not PAGE_NAME.fullmatch(page):
        return not_found(repr(page))
    files = demo_files()
    name = page if "." in page else f"{page}.html"
    content = files.get(name)
    if content is None:
        return not_found(repr(page))
    media_type = MEDIA_TYPES[name[name.rindex(".") :]]
    return Response(content, media_type=media_type, headers=DEMO_HEADERS)


async def home(request: Request) -> Response:
    """``GET /``: where a newcomer lands: what this server is and where to go next."""
    return Response(HOME_PATH.read_bytes(), media_type=MEDIA_TYPES[".html"], headers=DEMO_HEADERS)


STATIC_ROUTES: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/journeyline.js", tracker, methods=["GET"]),
    Route("/journeyline-offers.js", offers_script, methods=["GET"]),
    Route("/demo/", demo_page, methods=["GET"]),
    Route("/demo/{page}", demo_page, methods=["GET"]),
]
