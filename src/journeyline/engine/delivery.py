"""The delivery worker: posts the outbox's pending deliveries to their flows, signed.

Each try is an HTTP ``POST`` of the delivery's JSON body with the Standard Webhooks headers
``webhook-id`` (the delivery's id: the same on every try), ``webhook-timestamp`` (seconds, at
this try) and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``id.timestamp.body`` under the flow's current secret, made by the ``standardwebhooks``
package). A 2xx delivers it; a 408, 429, 5xx, a timeout or a connection error is tried again
later (``engine.retries``: backoff with jitter, ``Retry-After`` honoured), until the last try,
when it goes to the dead-letter list; any other answer (a 4xx, a redirect), a URL the target
rules refuse (``engine.targets``) or a deleted flow sends it there at once.

How it runs, and writes:

- One thread, started and stopped by the server's lifespan, with a store connection of its
  own. It sleeps until the earliest pending delivery is due (``outbox_next_due``), at most
  ``check_seconds``; :meth:`wake` (a post-commit subscriber, :meth:`on_commit`, calls it after
  every commit of the writer, and the dead-letter replay does) makes it look now.
- A round takes the due deliveries (up to ``batch`` on their way at once), posts them on a
  small thread pool, and records the tries as they end (``outbox_update``): every 50 ms, those
  that ended in that time in one short transaction (a fast round all at once), so a round
  commits a handful of times, not once per delivery. While tries are on their way it looks
  for newly due deliveries every 50 ms and starts them as there is room: one stalled receiver
  holds up only its own deliveries, never the other flows'. In the server the transaction
  runs on the single writer (``record``: ``Writer.run``), queued with its units of work, so
  the worker never contends with a busy writer for SQLite's write lock (it spent most of its
  time waiting for it); without ``record`` (tests, tools) it is the worker's own
  connection's.
- Connections to receivers are kept open between deliveries (a delivered answer's short body
  is read to its end, so that its connection goes back to the pool).
- A try is recorded after the receiver answered, never before: a crash between the two sends
  the delivery again, with the same ``webhook-id``. Nothing is lost (a delivery leaves
  ``pending`` only once its answer is stored) and nothing is sent beyond at-least-once;
  receivers dedupe by ``webhook-id``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from journeyline.clock import Clock
from journeyline.config import Settings
from journeyline.engine.retries import RetryPolicy, retry_after_ms, verdict
from journeyline.engine.targets import Resolver, check_target, system_resolver
from journeyline.model.effects import Envelope
from journeyline.model.errors import InvalidInput
from journeyline.model.flows import Delivery, Flow
from journeyline.store.base import Store

log = logging.getLogger("journeyline.flows")

USER_AGENT = "journeyline-flows"
SNIPPET = 200  # characters of a failed answer's body kept in last_error
KEEP_READING = 64 * 1024  # bytes of a delivered answer read to keep its connection open
#: How the tries are recorded when not on the worker's own connection: ``record(put)`` runs
#: ``put(store)`` in a transaction and waits (the server passes ``Writer.run``).
Record = Callable[[Callable[["Store"], None]], None]

#: A round records the tries that ended in each such time together (a fast round all at
#: once): each transaction must win the write lock from the busy writer, and waits for the
#: disk to commit.
RECORD_SECONDS = 0.05


class DeliveryWorker:
    def __init__(
        self,
        store_factory: Callable[[], Store],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        timeout_ms: int = 10_000,
        allow_private: bool = False,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver = system_resolver,
        rng: random.Random | None = None,
        check_seconds: float = 5.0,
        batch: int = 100,
        concurrency: int = 8,
        record: Record | None = None,
    ) -> None:
        self._store = store_factory()  # the worker's own connection
        self._record = record
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.timeout_ms = timeout_ms
        self.allow_private = allow_private
        self.resolver = resolver
        self.rng = rng or random.Random()  # jitter, not a secret
        self.check_seconds = check_seconds
        self.batch = batch
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout_ms / 1000,
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: it would bypass the target check
        )
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="journeyline-flow")
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(
        cls,
        store_factory: Callable[[], Store],
        settings: Settings,
        clock: Clock,
        *,
        record: Record | None = None,
    ) -> DeliveryWorker:
        return cls(
            store_factory,
            clock,
            record=record,
            policy=RetryPolicy(
                base_ms=settings.flows_retry_base_ms, max_attempts=settings.flows_max_attempts
            ),
            timeout_ms=settings.flows_timeout_ms,
            allow_private=settings.flows_allow_private,
        )

    # -- running --------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="journeyline-flows", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now (something new is due)."""
        self._wake.set()

    def on_commit(self, envelopes: Sequence[Envelope], /) -> None:
        """A post-commit subscriber: a commit may have put deliveries in the outbox."""
        self._wake.set()

    def close(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_ms / 1000 + 10)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()
        if self._thread is None or not self._thread.is_alive():
            self._store.close()

    def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                if self.deliver_due() >= self.batch:
                    continue  # more may be due at once
                wait = self._seconds_to_next()
            except Exception:  # never let the thread die: deliveries would stop for good
                log.exception("delivering flows failed; trying again in %ss", self.check_seconds)
                wait = self.check_seconds
            self._wake.wait(wait)

    def _seconds_to_next(self) -> float:
        due = self._store.outbox_next_due()
        if due is None:
            return self.check_seconds
        return min(max((due - self.clock()) / 1000, 0.0), self.check_seconds)

    # -- one round ------------------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Try every delivery due once, until none is due and none is on its way,
        recording the tries as they end (every 50 ms, those that ended in that time, in one
        transaction). While some are on their way it looks for newly due ones every 50 ms and
        starts them as the pool has room, so one slow receiver never holds up the others.
        Returns how many were tried."""
        running: dict[Future[Delivery], str] = {}  # a try on its way -> its delivery's id
        flows: dict[str, tuple[Flow | None, str | None]] = {}
        seen: set[str] = set()  # tried in this call: once each, even if due again at once
        while True:
            room = 0 if self._stopping else self.batch - len(running)
            if room > 0:
                due = self._store.outbox_due(self.clock(), limit=room + len(seen))
                for delivery in [d for d in due if d.id not in seen][:room]:
                    if delivery.flow_id not in flows:
                        flows[delivery.flow_id] = (
                            self._store.flow_get(delivery.flow_id),
                            self._store.flow_secret(delivery.flow_id),
                        )
                    future = self._pool.submit(self.attempt, delivery, *flows[delivery.flow_id])
                    running[future] = delivery.id
                    seen.add(delivery.id)
            if not running:
                return len(seen)
            ended, _ = wait(running, timeout=RECORD_SECONDS, return_when=FIRST_COMPLETED)
            if not ended:
                continue
            tried = [future.result() for future in ended]
            for future in ended:
                del running[future]
            self._record_tries(tried)

    def _record_tries(self, tried: list[Delivery]) -> None:
        """Store the tries that ended, in one transaction (the writer's, in the server)."""

        def put(store: Store) -> None:
            for delivery in tried:
                store.outbox_update(delivery)

        if self._record is not None:
            self._record(put)  # on the writer's connection, queued with its units
        else:
            with self._store.transaction():  # the tries that ended by now: one commit
                put(self._store)
        for delivery in tried:
            if delivery.state == "dead":
                log.warning(
                    "flow delivery %s to %s is dead after %d tries: %s",
                    delivery.id,
                    delivery.flow_id,
                    delivery.attempts,
                    delivery.last_error,
                )

    def attempt(self, delivery: Delivery, flow: Flow | None, secret: str | None) -> Delivery:
        """One try of ``delivery``: the delivery as it is after it (no store involved)."""
        attempts = delivery.attempts + 1
        if flow is None or secret is None:
            return self._dead(delivery, attempts, None, "the flow was deleted")
        try:
            target = check_target(
                flow.url, allow_private=self.allow_private, resolver=self.resolver
            )
        except InvalidInput as exc:
            return self._dead(delivery, attempts, None, exc.message)
        except OSError as exc:
            return self._again(delivery, attempts, None, f"cannot resolve the host: {exc}", None)
        try:
            data = delivery.body.decode()
        except UnicodeDecodeError:
            return self._dead(delivery, attempts, None, "the body is not UTF-8")
        seconds = self.clock() // 1000
        signature = Webhook(secret).sign(delivery.id, datetime.fromtimestamp(seconds, UTC), data)
        headers = {
            **target.headers,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery.id,
            "webhook-timestamp": str(seconds),
            "webhook-signature": signature,
        }
        try:
            with self._http.stream(
                "POST",
                target.url,
                content=delivery.body,
                headers=headers,
                extensions=target.extensions,
            ) as response:
                status = response.status_code
                outcome = verdict(status)
                if outcome == "delivered":
                    _finish(response)
                    return replace(
                        delivery,
                        state="delivered",
                        attempts=attempts,
                        last_status=status,
                        last_error=None,
                        last_attempt_ms=self.clock(),
                    )
                error = f"HTTP {status}{_snippet(response)}"
                if outcome == "dead":
                    return self._dead(delivery, attempts, status, f"{error} (not retried)")
                later = retry_after_ms(response.headers.get("retry-after"), self.clock())
                return self._again(delivery, attempts, status, error, later)
        except httpx.TimeoutException:
            error = f"no answer within {self.timeout_ms} ms"
            return self._again(delivery, attempts, None, error, None)
        except httpx.TransportError as exc:
            return self._again(delivery, attempts, None, f"connection failed: {exc!r}", None)

    def _dead(self, delivery: Delivery, attempts: int, status: int | None, error: str) -> Delivery:
        return replace(
            delivery,
            state="dead",
            attempts=attempts,
            last_status=status,
            last_error=error,
            last_attempt_ms=self.clock(),
        )

    def _again(
        self,
        delivery: Delivery,
        attempts: int,
        status: int | None,
        error: str,
        retry_after: int | None,
    ) -> Delivery:
        """A failure worth another try, unless this was the last one."""
        if attempts >= self.policy.max_attempts:
            return self._dead(
                delivery, attempts, status, f"{error} (gave up after {attempts} tries)"
            )
        now = self.clock()
        wait = self.policy.wait_ms(attempts, self.rng)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return replace(
            delivery,
            attempts=attempts,
            next_attempt_ms=now + wait,
            last_status=status,
            last_error=error,
            last_attempt_ms=now,
        )


def _finish(response: httpx.Response) -> None:
    """Read a short answer's body (its ``Content-Length`` at most 64 KiB) to its end, so that
    its connection is kept for the next delivery: an answer closed unread closes its
    connection. A longer or chunked one is left unread, and its connection closed."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) <= KEEP_READING:
        with contextlib.suppress(httpx.HTTPError):
            response.read()


def _snippet(response: httpx.Response) -> str:
    """The start of an answer's body, for last_error (never more than a chunk is read)."""
    try:
        for chunk in response.iter_text():
            text = " ".join(chunk.split())[:SNIPPET]
            return f": {text}" if text else ""
    except (httpx.HTTPError, UnicodeDecodeError):
        pass
    return ""
