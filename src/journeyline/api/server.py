"""The HTTP server: uvicorn, configured by ``server_config`` for ``journeyline serve`` and the
living demo alike, with what uvicorn lacks against slow and idle clients.

uvicorn closes a kept-alive connection left idle after a response (``timeout_keep_alive``), but
sets no deadline on a request itself: a client that opens a connection and sends nothing, or
sends its headers or its body a byte a second, holds the connection for ever, and enough of
them hold every file descriptor. ``GuardedProtocol``, uvicorn's httptools protocol registered
through ``uvicorn.Config(http=...)``, adds three things:

* **a deadline**: a request, headers and body, must have arrived within
  ``JOURNEYLINE_REQUEST_TIMEOUT_SECONDS`` of the connection's opening (for its first request)
  or of the request's first byte (for the next ones on a kept-alive connection). Otherwise the
  client gets a 408 ``request.timeout`` (unless the app has answered already) and the connection
  is closed; a route still reading the body sees the client gone (``errors.client_gone``).
* **headers of at most 64 KiB** (``MAX_HEADER_BYTES``): a 431 and the connection closed.
* **a cap on open connections** (``JOURNEYLINE_MAX_CONNECTIONS``). A connection over it makes
  room by closing the one idle the longest of those the app is not working for: waiting for a
  first request, between two, or still sending its headers (nginx reuses its idle keep-alive
  connections the same way). Only when the app is working for every one is the new connection
  refused: a 503 ``service.unavailable`` with ``Retry-After: 1``. So an idle or slowloris flood
  costs the flooder its own oldest connections, while ``/health`` and real clients, which
  send their request at once, keep being served; the deadline bounds how long a connection
  in the app can be held by a slow body.

The process may need more file descriptors than its soft limit allows for the cap: the limit
is raised towards the hard one, and the cap lowered (with a warning) if that is not enough.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import resource
from http import HTTPStatus
from typing import Any

import msgspec
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from journeyline.api.errors import error_body
from journeyline.config import Settings

log = logging.getLogger("journeyline.server")

MAX_HEADER_BYTES = 64 * 1024
#: File descriptors kept for what is not a client connection: the listening socket, the
#: stores' SQLite files (three each, with the WAL), the GeoIP database, logs.
SPARE_DESCRIPTORS = 64
#: The order in which connections became idle (the loop's clock may tell none apart: uvloop's
#: counts milliseconds).
IDLE_ORDER = itertools.count()


class ServerConfig(uvicorn.Config):
    """uvicorn's config with what ``GuardedProtocol`` reads: the deadline and the cap. No
    WebSocket: the app has no such route, and an upgraded connection would outlive the
    deadline's bookkeeping."""

    def __init__(
        self, app: Any, *, request_timeout_s: float, max_connections: int, **kwargs: Any
    ) -> None:
        super().__init__(app, http=GuardedProtocol, ws="none", **kwargs)
        self.request_timeout_s = request_timeout_s
        self.max_connections = max_connections


def server_config(app: Any, settings: Settings, **kwargs: Any) -> ServerConfig:
    """The server of ``app`` under ``settings``; ``kwargs`` are uvicorn's (host, port, ...).

    Logging is ours (``journeyline.logs``, the app's access log), and so are the proxy headers
    (``api.proxies``, only from trusted proxies): uvicorn's are off."""
    options: dict[str, Any] = {"log_config": None, "access_log": False, "proxy_headers": False}
    return ServerConfig(
        app,
        request_timeout_s=settings.request_timeout_seconds,
        max_connections=descriptor_room(settings.max_connections),
        timeout_keep_alive=settings.keepalive_timeout_seconds,
        **(options | kwargs),
    )


def run_server(config: uvicorn.Config) -> int:
    """Serve until Ctrl-C or SIGTERM, as ``uvicorn.run`` does; the exit status: 3 when the
    server could not start (its port taken, its app failing to start)."""
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises the signal again once done
        server.run()
    return 0 if server.started else 3


def descriptor_room(wanted: int) -> int:
    """How many connections the process can hold, up to ``wanted``: its soft limit of open
    files is raised (towards the hard limit) when it is too low for them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + SPARE_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    if soft == resource.RLIM_INFINITY or soft >= need:
        return wanted
    room = max(1, soft - SPARE_DESCRIPTORS)
    log.warning(
        "at most %d open files: JOURNEYLINE_MAX_CONNECTIONS lowered from %d to %d",
        soft,
        wanted,
        room,
    )
    return room


def raw_error(status: int, code: str, message: str, headers: dict[str, str]) -> bytes:
    """A whole HTTP/1.1 error answer in the Genesys shape that closes the connection."""
    body = msgspec.json.encode(error_body(status, code, message))
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += ["content-type: application/json", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["connection: close", "", ""]
    return "\r\n".join(lines).encode() + body


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request deadline, a header cap and a connection cap
    (the module's docstring)."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, ServerConfig)
        self.request_timeout_s = config.request_timeout_s
        self.max_connections = config.max_connections
        self.deadline: asyncio.TimerHandle | None = None
        self.headers_done = False  # the current request's headers have all arrived
        self.header_bytes = 0  # of the current request, while they have not
        self.idle_since = next(IDLE_ORDER)

    # -- the connection cap

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        if len(self.connections) > self.max_connections and not self._make_room():
            log.warning("more than %d connections, all busy: one refused", self.max_connections)
            message = "the server has too many connections open: try again soon"
            self._refuse(503, "service.unavailable", message, {"retry-after": "1"})

    def waiting(self) -> bool:
        """The app is not working for this connection: no request yet, or none since the last
        answer (headers may be on their way)."""
        return self.cycle is None or self.cycle.response_complete

    def _make_room(self) -> bool:
        """Close the connection idle the longest if the open ones are over the cap; False
        when there is no room and none to close."""
        others = [
            connection
            for connection in self.connections
            if isinstance(connection, GuardedProtocol)
            and connection is not self
            and not connection.transport.is_closing()
        ]
        if len(others) < self.max_connections:
            return True  # the count still holds connections closed a moment ago
        idle = [connection for connection in others if connection.waiting()]
        if not idle:
            return False
        min(idle, key=lambda connection: connection.idle_since).transport.close()
        return True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.idle_since = next(IDLE_ORDER)

    # -- the request deadline and the header cap

    def _arm(self) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(self.request_timeout_s, self._timed_out)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _timed_out(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.headers_done and self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # answered already (a body refused early): no second answer
            return
        seconds = f"{self.request_timeout_s:g}"
        message = f"the request was not complete within {seconds} seconds"
        self._refuse(408, "request.timeout", message, {})

    def _refuse(self, status: int, code: str, message: str, headers: dict[str, str]) -> None:
        self._disarm()
        self.transport.write(raw_error(status, code, message, headers))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self.deadline is None and self.waiting() and self.timeout_keep_alive_task is None:
            self._arm()  # bytes that began no request (blank lines) stop uvicorn's idle timer
        if self.headers_done:
            return
        self.header_bytes += len(data)  # a chunk that did not end the headers is all headers
        if self.header_bytes > MAX_HEADER_BYTES:
            message = f"the request's headers are larger than {MAX_HEADER_BYTES} bytes"
            self._refuse(431, "request.header.fields.too.large", message, {})

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.headers_done = False
        self.header_bytes = 0
        if self.deadline is None:  # a next request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.headers_done = True

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
