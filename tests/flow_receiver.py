"""A real webhook receiver on 127.0.0.1 for the flows' tests: it answers from a script and
keeps every request it got, as a receiver's own log would. It speaks HTTP/1.1 and keeps
connections open, as most receivers do; each request notes the connection it came on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the worker's timeout: a timeout)
    hold: threading.Event | None = None  # answer only once this is set (a stalled receiver)


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    connection: tuple[str, int] = ("", 0)  # the sender's address and port

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verifies(self, secret: str) -> bool:
        """The signature checks out under ``secret``, as a receiver checks it."""
        try:
            Webhook(secret).verify(self.body, self.headers)
        except WebhookVerificationError:
            return False
        return True


class Receiver:
    def __init__(self) -> None:
        self.script: list[Answer] = []  # answered in order; then ``default``
        self.default = Answer()
        self.received: list[Received] = []
        self.answered: list[tuple[str, int]] = []  # (webhook-id, status) once the answer is out
        self.lock = threading.Lock()
        self.url = ""

    def next_answer(self, request: Received) -> Answer:
        with self.lock:
            self.received.append(request)
            return self.script.pop(0) if self.script else self.default

    def ids(self) -> list[str]:
        with self.lock:
            return [r.id for r in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` requests have been answered with a 2xx."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if sum(200 <= s < 300 for _, s in self.answered) >= count:
                    return
            time.sleep(0.01)
        raise AssertionError(f"the receiver did not get {count} deliveries: {self.answered}")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one connection may carry many requests

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender died mid-body (a test kills it): no request
                self.close_connection = True
                return
            request = Received(
                {k.lower(): v for k, v in self.headers.items()},
                body,
                (str(self.client_address[0]), int(self.client_address[1])),
            )
            answer = receiver.next_answer(request)
            if answer.hold is not None:
                answer.hold.wait(30)
            time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                return  # the worker gave up waiting
            with receiver.lock:
                receiver.answered.append((request.id, answer.status))

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
