"""The HTTP ceiling: a minimal endpoint on the same server stack as ``journeyline serve``.

``python -m journeyline.bench.minimal PORT`` serves, on 127.0.0.1:PORT, a Starlette app with one
``POST`` route at the conversation events' path that reads the whole body and answers 202 with a
small JSON body, and ``GET /health`` (so the bench knows it is up). It runs under the server
journeyline runs under: ``api.server.server_config`` (uvicorn with our ``GuardedProtocol``, its
request deadline and connection cap, the same keep-alive and loop), with the settings from the
environment. What it leaves out is everything journeyline does for a request: the middleware
(access log, security headers, rate limit), authentication, parsing, the engine and the store.
Driven by the same client, over the same connections with the same requests, it measures how
many requests a second this machine's Python and server stack can answer at all: the
``http_single`` line's ceiling.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.server import run_server, server_config
from journeyline.config import Settings

PATH = "/api/v2/journey/conversationevents"
ANSWER = b'{"accepted":1,"duplicate":0,"rejected":0}'


async def accept(request: Request) -> Response:
    await request.body()
    return Response(ANSWER, status_code=202, media_type="application/json")


async def health(request: Request) -> Response:
    return Response(b'{"status":"UP"}', media_type="application/json")


def app() -> Starlette:
    return Starlette(
        routes=[Route(PATH, accept, methods=["POST"]), Route("/health", health, methods=["GET"])]
    )


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m journeyline.bench.minimal PORT", file=sys.stderr)
        return 2
    config = server_config(
        app(), Settings.from_env(), host="127.0.0.1", port=int(argv[0]), log_level="warning"
    )
    return run_server(config)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
