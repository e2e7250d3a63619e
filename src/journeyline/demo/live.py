"""``journeyline demo --live``: a simulated contact centre and shop that keep going while the
server runs, so the agent desktop's cards change in front of whoever opens it.

Two halves. ``live_schedule`` is pure: from a seed and a start time it draws an endless,
time-ordered stream of ``Post``s — new conversations built by the demo day's own scenarios
(``day.ContactCentre``), visitors browsing the shop (``visits.browse``), and some of those
visitors calling a little later as the same person (same phone and email, so identity puts the
web session and the call on one timeline). ``LiveDemo`` plays that stream in a thread: each post
is sent when its time comes, through the server's public API like a real contact centre and real
browsers (``ApiSender``), so a card goes Waiting -> Connected -> Ended in real time.

Seams: the clock (with ``speed``, how many simulated seconds pass in one real second: tests run
a fast clock shared with their server) and the sender (any callable taking a route and a batch).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import heapq
import itertools
import logging
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import httpx_auth
import tenacity
import uvicorn

from journeyline.clock import Clock, system_clock
from journeyline.demo.day import (
    ACTIVE_SCENARIOS,
    SCENARIOS,
    ContactCentre,
    DemoCustomer,
    DirectoryEntry,
    demo_customer,
    demo_directory,
    draw_scenario,
)
from journeyline.demo.load import DEMO_SEED, DEMO_UA
from journeyline.demo.visits import REFERRERS, browse
from journeyline.ui import DEMO_DEPLOYMENT_ID

log = logging.getLogger("journeyline.demo.live")

_SEC = 1_000
#: What a live conversation can be: any of the day's scenarios that come to an end.
LIVE_SCENARIOS = tuple(s for s in SCENARIOS if s not in ACTIVE_SCENARIOS)
#: What a visitor who then calls does: an inbound call, identified by the number they gave.
VISITOR_CALLS = (
    "inbound_answered",
    "inbound_customer_hangs_up_after_talk",
    "inbound_transfer",
    "inbound_abandon_in_queue",
)
Route = Literal["conversation", "web"]


@dataclass(frozen=True, slots=True)
class Rate:
    """How busy the living demo is (per simulated minute) and how often a visitor calls."""

    conversations_per_minute: float = 2.0  # gaps of 20-40 s
    visitors_per_minute: float = 2.0  # gaps of 15-45 s
    visitor_calls: float = 0.4  # share of visitors who fill in the contact form, then call
    visitor_identifies: float = 0.3  # share who fill it in and do not call (the rest browse)

    def __post_init__(self) -> None:
        if self.conversations_per_minute <= 0 or self.visitors_per_minute <= 0:
            raise ValueError("rates must be greater than zero")


@dataclass(frozen=True, slots=True)
class Post:
    """One thing to send when its time comes: a conversation detail event or a web event."""

    at_ms: int
    route: Route
    body: dict[str, Any]


def _gap_ms(rng: random.Random, per_minute: float, spread: float) -> int:
    mean = 60 * _SEC / per_minute
    return int(rng.uniform(mean * (1 - spread), mean * (1 + spread)))


def _visit(
    rng: random.Random, start: int, base_url: str, rate: Rate
) -> tuple[list[Post], tuple[int, DemoCustomer] | None]:
    """A visitor's web events, and the call they make afterwards, if they do."""
    person = dataclasses.replace(demo_customer(rng), contact_id=None)  # known by phone only
    cookie = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    draw = rng.random()
    calls = draw < rate.visitor_calls
    identifies = draw < rate.visitor_calls + rate.visitor_identifies
    given, family = person.name.split(" ", 1)
    who = (
        {"givenName": given, "familyName": family, "phone": person.phone[4:], "email": person.email}
        if identifies
        else None
    )
    events = browse(
        rng,
        cookie=cookie,
        start_ms=start,
        base_url=base_url,
        referrer=rng.choice(REFERRERS),
        who=who,
        form=identifies,
    )
    posts = [Post(t, "web", body) for t, body in events]
    if not calls:
        return posts, None
    call_at = events[-1][0] + rng.randint(30, 180) * _SEC
    return posts, (call_at, person)


def _arrivals(
    rng: random.Random, centre: ContactCentre, start_ms: int, base_url: str, rate: Rate
) -> Iterator[tuple[int, list[Post]]]:
    """``(start, posts)`` of each new conversation or visit, in order of start."""
    seq = itertools.count()
    due: list[tuple[int, int, str, Any]] = [
        (start_ms + rng.randint(2, 5) * _SEC, next(seq), "conversation", None),
        (start_ms + rng.randint(5, 10) * _SEC, next(seq), "visitor", None),
    ]
    while True:
        at, _, kind, person = heapq.heappop(due)
        if kind == "visitor":
            posts, call = _visit(rng, at, base_url, rate)
            if call is not None:
                heapq.heappush(due, (call[0], next(seq), "call", call[1]))
            heapq.heappush(
                due, (at + _gap_ms(rng, rate.visitors_per_minute, 0.5), next(seq), "visitor", None)
            )
        else:
            if kind == "call":
                _, events = centre.conversation(
                    draw_scenario(rng, VISITOR_CALLS), at, customer=person
                )
            else:
                _, events = centre.conversation(draw_scenario(rng, LIVE_SCENARIOS), at)
                gap = _gap_ms(rng, rate.conversations_per_minute, 1 / 3)
                heapq.heappush(due, (at + gap, next(seq), "conversation", None))
            posts = [Post(int(e["eventBody"]["eventTime"]), "conversation", e) for e in events]
        yield at, posts


def live_schedule(
    *,
    seed: int,
    start_ms: int,
    directory: Sequence[DirectoryEntry],
    base_url: str,
    rate: Rate = Rate(),
) -> Iterator[Post]:
    """The living demo from ``start_ms`` on: an endless stream of posts in time order.

    Pure and deterministic: the same arguments give the same stream. ``base_url`` is where the
    demo shop is served (its page URLs); ``directory`` holds the queues, agents and wrap-up
    codes the conversations use (the demo day's).
    """
    rng = random.Random(seed)
    arrivals = _arrivals(rng, ContactCentre(rng, directory), start_ms, base_url, rate)
    pending: list[tuple[int, int, Post]] = []
    seq = itertools.count()
    next_start, posts = next(arrivals)
    while True:
        # Every post of a later arrival is at or after its start: what is earlier can go.
        while not pending or next_start <= pending[0][0]:
            for post in posts:
                heapq.heappush(pending, (post.at_ms, next(seq), post))
            next_start, posts = next(arrivals)
        yield heapq.heappop(pending)[2]


class Sender(Protocol):
    """What sends a batch of posts of one route (``play`` calls it when their time comes)."""

    def __call__(self, route: Route, bodies: list[dict[str, Any]]) -> None: ...


class ApiSender:
    """Sends through journeyline's public API: conversation events with the demo's admin OAuth
    client (its token fetched and renewed by ``httpx-auth``), web events to the tracker's route
    of the demo shop's deployment, as a browser on the shop does. Failures (a server
    restarting) are retried with backoff (``tenacity``) for ``give_up_after`` seconds, then
    logged and dropped; once ``stop`` is set, no more tries. It never raises."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        deployment_id: str,
        user_agent: str,
        stop: threading.Event,
        transport: httpx.BaseTransport | None = None,
        give_up_after: float = 60.0,
    ) -> None:
        self.stopping = stop
        self._give_up_after = give_up_after
        self._web_path = f"/api/v2/journey/deployments/{deployment_id}/webevents"
        self._browser = {"Origin": base_url, "User-Agent": user_agent}
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=10)
        self._tokens = httpx.Client(transport=transport, timeout=10)
        self._auth = httpx_auth.OAuth2ClientCredentials(
            f"{base_url}/oauth/token", client_id, client_secret, client=self._tokens
        )

    def ready(self) -> bool:
        """Whether the server answers ``GET /health``."""
        try:
            return self._http.get("/health").status_code == 200
        except httpx.TransportError:
            return False

    def __call__(self, route: Route, bodies: list[dict[str, Any]]) -> None:
        if route == "conversation":
            for start in range(0, len(bodies), 1000):
                batch = bodies[start : start + 1000]
                self._post("/api/v2/journey/conversationevents", batch, auth=self._auth)
        else:
            for body in bodies:
                self._post(self._web_path, body, headers=self._browser)

    def _post(self, path: str, body: Any, **request: Any) -> None:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_worth_retrying),
            stop=tenacity.stop_after_delay(self._give_up_after)
            | tenacity.stop_when_event_set(self.stopping),
            wait=tenacity.wait_exponential(multiplier=0.5, max=10) + tenacity.wait_random(0, 1),
            sleep=self._pause,
            before_sleep=functools.partial(_retrying, path),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._http.post(path, json=body, **request)
                    if response.status_code >= 500 or response.status_code == 429:
                        response.raise_for_status()
        except httpx.HTTPError as exc:
            if not self.stopping.is_set():
                log.error("living demo: gave up on POST %s: %s", path, exc)
            return
        if response.status_code >= 400 or response.json().get("rejected"):
            log.warning(
                "living demo: POST %s answered %s: %s",
                path,
                response.status_code,
                response.text[:300],
            )

    def _pause(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    def close(self) -> None:
        self._http.close()
        self._tokens.close()


def _retrying(path: str, state: tenacity.RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome else None
    log.warning("living demo: POST %s failed (%s); trying again", path, failure)


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, httpx.TransportError | httpx.HTTPStatusError)


def play(
    schedule: Iterable[Post],
    send: Sender,
    *,
    clock: Clock,
    stop: threading.Event,
    speed: float = 1.0,
) -> int:
    """Send each post once its time has come on ``clock``, those due together in one batch per
    route, until ``stop`` is set or the schedule ends. Returns how many posts were sent."""
    sent = 0
    posts = iter(schedule)
    post = next(posts, None)
    while post is not None and not stop.wait(max(post.at_ms - clock(), 0) / _SEC / speed):
        now = clock()
        due: dict[Route, list[dict[str, Any]]] = {}
        while post is not None and post.at_ms <= now:
            due.setdefault(post.route, []).append(post.body)
            post = next(posts, None)
        for route, bodies in due.items():
            send(route, bodies)
            sent += len(bodies)
    return sent


class LiveDemo:
    """The living demo in a thread of its own: ``start()`` it beside the server, ``stop()`` it
    (the post in flight finishes, then the thread ends). It waits until ``ready()`` (the server
    answers), then plays ``schedule(now)``. ``stop`` is the event that stops it, shared with a
    sender that retries (``ApiSender``) so that its retries end too."""

    def __init__(
        self,
        schedule: Callable[[int], Iterable[Post]],
        sender: Sender,
        *,
        stop: threading.Event,
        ready: Callable[[], bool] = lambda: True,
        clock: Clock = system_clock,
        speed: float = 1.0,
    ) -> None:
        self._schedule, self._send, self._ready = schedule, sender, ready
        self._clock, self._speed, self._stop = clock, speed, stop
        self._thread = threading.Thread(target=self._run, name="journeyline-live-demo")
        self.sent = 0  # posts sent so far

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end, without waiting for it (safe in a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._ready():
            if self._stop.wait(0.1):
                return
        try:
            play(
                self._schedule(self._clock()),
                self._counting,
                clock=self._clock,
                stop=self._stop,
                speed=self._speed,
            )
        except Exception:  # a bug in the demo must not take the server down with it
            log.exception("living demo: stopped by an error")

    def _counting(self, route: Route, bodies: list[dict[str, Any]]) -> None:
        self._send(route, bodies)
        self.sent += len(bodies)


class _Server(uvicorn.Server):
    """uvicorn's server, telling the living demo to stop as soon as it is asked to exit."""

    def __init__(self, config: uvicorn.Config, live: LiveDemo) -> None:
        super().__init__(config)
        self._live = live

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._live.request_stop()
        super().handle_exit(sig, frame)


def serve_live(
    config: uvicorn.Config,
    base_url: str,
    *,
    client_id: str,
    client_secret: str,
    seed: int,
    rate: Rate = Rate(),
    directory: Sequence[DirectoryEntry] | None = None,
) -> None:
    """Run the server of ``config`` with the living demo beside it, sending to ``base_url``
    (this server) as the demo's admin client and the demo shop's visitors. Both stop on
    Ctrl-C (or SIGTERM); the demo's thread has ended when this returns."""
    if directory is None:  # the demo day's (load_demo)
        directory = demo_directory(random.Random(DEMO_SEED))
    stop = threading.Event()
    sender = ApiSender(
        base_url,
        client_id=client_id,
        client_secret=client_secret,
        deployment_id=DEMO_DEPLOYMENT_ID,
        user_agent=DEMO_UA,
        stop=stop,
    )
    schedule = functools.partial(
        live_schedule, seed=seed, directory=directory, base_url=base_url, rate=rate
    )
    live = LiveDemo(lambda now: schedule(start_ms=now), sender, stop=stop, ready=sender.ready)
    live.start()
    try:  # uvicorn raises the signal it shut down on again once done: Ctrl-C is no error
        with contextlib.suppress(KeyboardInterrupt):
            _Server(config, live).run()
    finally:
        live.stop()
        sender.close()
