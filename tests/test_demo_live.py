"""The living demo (``journeyline demo --live``): its pure schedule, and the demo played against a
real server on 127.0.0.1 with a real SQLite file, through the public API.

The server and the demo share one fast clock (``SPEED`` simulated seconds a real second), so a
conversation of several minutes plays in seconds. Deadlines below only bound a wait for what
must happen; nothing asserts how long anything took.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from conftest import bearer, free_port, make_client, serve, wait_healthy
from journeyline.api.app import create_app
from journeyline.cli import main
from journeyline.clock import system_clock
from journeyline.config import Settings
from journeyline.core.conversation import session_id_for
from journeyline.demo.day import AGENT_NAMES, demo_directory
from journeyline.demo.live import (
    LIVE_SCENARIOS,
    ApiSender,
    LiveDemo,
    Post,
    Rate,
    live_schedule,
)
from journeyline.demo.load import DEMO_SEED, DEMO_UA, load_demo
from journeyline.store import open_store
from journeyline.ui import DEMO_DEPLOYMENT_ID

SPEED = 60.0
SEED = 11
DIRECTORY = demo_directory(random.Random(DEMO_SEED))
T = TypeVar("T")


class FastClock:
    """Wall time from now on, sped up ``speed`` times (epoch milliseconds)."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._start_ms = system_clock()
        self._start = time.monotonic()

    def __call__(self) -> int:
        return self._start_ms + int((time.monotonic() - self._start) * self.speed * 1000)


def schedule(start_ms: int, count: int, seed: int = SEED) -> list[Post]:
    return list(
        itertools.islice(
            live_schedule(seed=seed, start_ms=start_ms, directory=DIRECTORY, base_url="http://s"),
            count,
        )
    )


def conversations(posts: list[Post]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for post in posts:
        if post.route == "conversation":
            grouped[post.body["eventBody"]["conversationId"]].append(post.body)
    return grouped


def topic(event: dict[str, Any]) -> str:
    return str(event["topicName"]).split(".", 5)[5]


def until(
    fetch: Callable[[], T | None], what: str, *, live: LiveDemo | None = None, timeout: float = 60
) -> T:
    """What ``fetch`` returns once it is not None; fails after ``timeout`` seconds, or at once
    when the ``live`` demo has stopped."""
    deadline = time.monotonic() + timeout
    while (found := fetch()) is None:
        assert time.monotonic() < deadline, f"never saw {what}"
        assert live is None or live.running, f"the living demo stopped before {what}"
        time.sleep(0.02)
    return found


# -- the pure schedule ------------------------------------------------------------------------


def test_the_schedule_for_a_seed_is_the_same_every_time() -> None:
    assert schedule(1_795_600_000_000, 400) == schedule(1_795_600_000_000, 400)
    assert schedule(1_795_600_000_000, 400) != schedule(1_795_600_000_000, 400, seed=SEED + 1)


def test_the_schedule_is_a_steady_mix_in_time_order() -> None:
    start = 1_795_600_000_000
    posts = schedule(start, 3000)
    times = [p.at_ms for p in posts]
    assert times == sorted(times)
    assert times[0] >= start
    hours = (times[-1] - start) / 3_600_000
    convs = conversations(posts)
    # about 2 new conversations and 2 visitors a minute, some of whom call: 2-3 a minute
    assert 100 * hours < len(convs) < 200 * hours
    names = {p.body["eventName"] for p in posts if p.route == "web"}
    assert names == {"page_viewed", "searched", "form_submitted", "identified"}
    media = {events[0]["eventBody"]["mediaType"] for events in convs.values()}
    assert media == {"VOICE", "CHAT", "MESSAGE"}
    directions = {events[0]["eventBody"]["direction"] for events in convs.values()}
    assert directions == {"INBOUND", "OUTBOUND"}
    # every live conversation comes to an end (the day's still-open scenarios are not live)
    ended = [c for c, events in convs.items() if events[-1]["eventBody"]["eventTime"] < times[-1]]
    cut = times[-1] - 3_600_000  # those that started an hour before the last post are complete
    complete = [c for c in ended if convs[c][0]["eventBody"]["eventTime"] < cut]
    assert complete
    for cid in complete:
        assert {"customer.end", "user.end"} & {topic(e) for e in convs[cid]}, cid
    assert "active_waiting" not in LIVE_SCENARIOS


def test_a_rate_is_more_than_zero() -> None:
    with pytest.raises(ValueError, match="greater than zero"):
        Rate(conversations_per_minute=0)


# -- played against a real server ---------------------------------------------------------------


@dataclass
class Running:
    base_url: str
    headers: dict[str, str]
    live: LiveDemo
    starts: list[int]  # the start the demo took, once it has

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base_url + path, headers=self.headers, timeout=10)

    def schedule(self, count: int) -> list[Post]:
        start = until(lambda: self.starts[0] if self.starts else None, "the demo start")
        return schedule(start, count)


@pytest.fixture
def running(settings: Settings) -> Iterator[Running]:
    """The demo day loaded, a server on the fast clock, and the living demo beside it."""
    clock = FastClock(SPEED)
    store = open_store(settings.store_url)
    try:
        load_demo(store, clock=clock, conversations=20)
    finally:
        store.close()
    client_id, secret = make_client(settings.store_url)
    starts: list[int] = []

    def started(start_ms: int) -> Iterator[Post]:
        starts.append(start_ms)
        return live_schedule(seed=SEED, start_ms=start_ms, directory=DIRECTORY, base_url=base_url)

    with serve(create_app(settings, clock=clock)) as base_url:
        stop = threading.Event()
        sender = ApiSender(base_url, client_id=client_id, client_secret=secret, stop=stop,
                           deployment_id=DEMO_DEPLOYMENT_ID, user_agent=DEMO_UA)  # fmt: skip
        live = LiveDemo(started, sender, stop=stop, ready=sender.ready, clock=clock, speed=SPEED)
        live.start()
        try:
            with httpx.Client(base_url=base_url) as client:
                headers = bearer(client, (client_id, secret))
            yield Running(base_url, headers, live, starts)
        finally:
            live.stop()
            sender.close()


def _answered_and_wrapped(events: list[dict[str, Any]]) -> bool:
    """Answered after half a minute or more in queue, talked a minute or more, wrapped up."""
    by_topic = {topic(e): e["eventBody"] for e in events}
    if "acw" not in by_topic:
        return False
    acd = by_topic.get("acd.end", {})
    user = by_topic.get("user.end", {})
    return (
        acd.get("acdOutcome") == "ANSWERED"
        and acd["connectedDurationMs"] >= 30_000
        and user.get("interactingDurationMs", 0) >= 60_000
        and [topic(e) for e in events].count("acd.start") == 1
    )


def test_live_cards_go_waiting_then_connected_then_wrapped_up(running: Running) -> None:
    posts = running.schedule(300)
    start = posts[0].at_ms
    early = {
        cid: events
        for cid, events in conversations(posts).items()
        if events[0]["eventBody"]["eventTime"] < start + 10 * 60_000
    }
    cid = next(c for c, events in early.items() if _answered_and_wrapped(events))
    path = f"/api/v2/journey/sessions/{session_id_for(cid)}/card"
    seen: list[tuple[str, str | None]] = []  # (status, agent name) as they change

    def wrapped_up() -> dict[str, Any] | None:
        response = running.get(path)
        if response.status_code != 200:  # not started yet
            return None
        card: dict[str, Any] = response.json()
        state = (card["status"], (card.get("agent") or {}).get("name"))
        if not seen or seen[-1] != state:
            seen.append(state)
        return card if card["color"] == "gray" and card.get("wrapupCode") else None

    card = until(wrapped_up, "the wrap-up", live=running.live)
    statuses = [status for status, _ in seen]
    assert "Waiting" in statuses, seen
    assert "Connected" in statuses, seen
    assert statuses.index("Waiting") < statuses.index("Connected")
    connected = seen[statuses.index("Connected")]
    assert connected[1] in AGENT_NAMES
    assert card["status"] == card["wrapupCode"]["name"]
    assert card["agent"]["name"] in AGENT_NAMES


def test_a_visitor_who_calls_is_one_person_on_one_timeline(running: Running) -> None:
    posts = running.schedule(400)
    phones = {
        p.body["traits"]["phone"]["value"]: p.body["customerCookieId"]
        for p in posts
        if p.route == "web" and p.body["eventName"] == "identified"
    }
    cid, cookie = next(
        (cid, phones[events[0]["eventBody"]["ani"][4:]])
        for cid, events in conversations(posts).items()
        if events[0]["eventBody"].get("ani", "")[4:] in phones
    )

    def contact_of_call() -> str | None:
        response = running.get(f"/api/v2/journey/sessions/{session_id_for(cid)}")
        if response.status_code != 200:
            return None
        contact = response.json().get("externalContact") or {}
        return contact.get("id")

    contact_id = until(contact_of_call, "the call linked to a contact", live=running.live)
    journey = running.get(f"/api/v2/externalcontacts/contacts/{contact_id}/journey/sessions")
    sessions = journey.json()["entities"]
    assert session_id_for(cid) in {s["id"] for s in sessions}
    web = [s for s in sessions if s["type"] == "web"]
    assert web
    assert {s["customerId"] for s in web} == {cookie}
    visit = running.get(f"/api/v2/journey/sessions/{web[0]['id']}").json()
    assert visit["pageviewCount"] == 3
    assert visit["searchTerms"]


def test_the_demo_stops_cleanly(running: Running) -> None:
    until(lambda: running.live.sent or None, "a post sent")
    running.live.stop()
    assert not running.live.running
    assert "journeyline-live-demo" not in {t.name for t in threading.enumerate()}
    sent = running.live.sent
    time.sleep(0.2)
    assert running.live.sent == sent


def test_a_demo_whose_server_never_answers_stops_at_once() -> None:
    stop = threading.Event()
    sender = ApiSender(f"http://127.0.0.1:{free_port()}", client_id="a", client_secret="b",
                       deployment_id="d", user_agent="ua", stop=stop)  # fmt: skip
    live = LiveDemo(lambda now: iter(schedule(now, 10)), sender, stop=stop, ready=sender.ready)
    live.start()
    live.stop()
    sender.close()
    assert not live.running
    assert live.sent == 0


def test_failed_posts_are_retried_until_the_server_takes_them() -> None:
    answers: list[Exception | int] = [httpx.ConnectError("restarting"), 503, 202]
    received: list[Any] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if answer == 202:
            assert request.headers["Authorization"] == "Bearer t"
            received.append(json.loads(request.content))
        return httpx.Response(answer, json={"accepted": 1, "duplicate": 0, "rejected": 0})

    stop = threading.Event()
    sender = ApiSender("http://retry.example", client_id="a", client_secret="b",
                       deployment_id="d", user_agent="ua", stop=stop,
                       transport=httpx.MockTransport(server))  # fmt: skip
    sender("conversation", [{"n": 1}])
    sender.close()
    assert received == [[{"n": 1}]]
    assert answers == []


# -- the command line ----------------------------------------------------------------------------


def test_demo_live_help_documents_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--live", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--live ", "--live-rate PER_MINUTE", "--live-visitors PER_MINUTE",
                   "--live-seed N"):  # fmt: skip
        assert option in text
    assert "until Ctrl-C" in text
    assert "one every 20-40 s" in text


def test_demo_live_serves_a_living_demo_and_stops_on_ctrl_c(store_url: str, tmp_path: Path) -> None:
    credentials = make_client(store_url)
    port, errors = free_port(), tmp_path / "stderr"
    command = [sys.executable, "-m", "journeyline.cli", "demo", "--live", "--store", store_url,
               "--port", str(port), "--conversations", "20", "--live-rate", "60",
               "--live-seed", "5"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with errors.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_healthy(base_url, process)
            with httpx.Client(base_url=base_url) as client:
                headers = bearer(client, credentials)

                def sessions() -> set[str]:
                    found = client.get("/api/v2/journey/sessions?pageSize=200", headers=headers)
                    return {s["id"] for s in found.json()["entities"]}

                loaded = sessions()
                until(lambda: sessions() - loaded or None, "a live conversation or visit")
            process.send_signal(signal.SIGINT)
            out = process.communicate(timeout=30)[0].decode()
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0
    logged = errors.read_text()
    assert "Traceback" not in logged, logged
    assert "living demo" not in logged, logged
    assert f"http://127.0.0.1:{port}/desktop" in out
    assert "--live-seed 5" in out
