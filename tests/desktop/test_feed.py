"""The live feed through a real uvicorn server on 127.0.0.1, a real SQLite file and a real
streaming HTTP client: what arrives, in what order, after a reconnect, for whom."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from builders import T0, Conversation, answered
from conftest import FakeClock, bearer, make_client, serve
from journeyline.api.app import create_app
from journeyline.api.services import Services
from journeyline.config import Settings
from journeyline.core.conversation import session_id_for
from journeyline.desktop.feed import Feed, FeedOptions, visible
from journeyline.desktop.messages import message
from journeyline.model import effects as fx
from journeyline.model.contact import Contact, Identifier
from journeyline.model.effects import Cursor, Envelope
from journeyline.store import open_store
from signing_in import PASSWORD

PHONE = "5551585963"  # the callers' number in builders.answered: never on the feed


@dataclass(frozen=True)
class Event:
    id: str
    event: str
    data: dict[str, Any]


def sse(response: httpx.Response) -> Iterator[Event]:
    """The events of an SSE stream (comments, the heartbeats, skipped)."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "event" in fields:
                yield Event(fields["id"], fields["event"], json.loads(fields["data"]))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


@dataclass
class Desk:
    """A real server with an admin token, and the store it writes to."""

    base_url: str
    app: Starlette
    store_url: str
    clock: FakeClock | None
    http: httpx.Client
    headers: dict[str, str]

    @property
    def services(self) -> Services:
        found: Services = self.app.state.services
        return found

    @property
    def feed(self) -> Feed:
        assert self.services.feed is not None
        return self.services.feed

    def token(self, role: str) -> dict[str, str]:
        return bearer(self.http, make_client(self.store_url, role))

    def post(self, wire: list[dict[str, Any]]) -> None:
        response = self.http.post(
            "/api/v2/journey/conversationevents", json=wire, headers=self.headers
        )
        assert response.status_code == 202, response.text

    def log(self, after: Cursor | None = None) -> list[tuple[str, str, Envelope]]:
        """(id, name, envelope) of every stored effect after ``after``, as the feed sends them."""
        self.services.dispatcher.drain()
        store = open_store(self.store_url)
        try:
            envelopes = store.effects_after(after or Cursor(), limit=1_000_000)
        finally:
            store.close()
        cursor = after or Cursor()
        found = []
        for envelope in envelopes:
            cursor = cursor.after(envelope)
            found.append((str(cursor), envelope.name, envelope))
        return found

    @contextlib.contextmanager
    def stream(
        self, headers: dict[str, str] | None = None, **params: str
    ) -> Iterator[Iterator[Event]]:
        with httpx.stream(
            "GET",
            f"{self.base_url}/desktop/feed",
            params=params,
            headers=headers or self.headers,
            timeout=10,
        ) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            yield sse(response)


@contextlib.contextmanager
def desk(
    tmp_path: Path,
    options: FeedOptions | None = None,
    clock: FakeClock | None = None,
    send_buffer: int | None = None,
) -> Iterator[Desk]:
    url = f"sqlite:///{tmp_path / 'journeyline.db'}"
    credentials = make_client(url)
    app = (
        create_app(Settings(store_url=url), feed=options)
        if clock is None
        else create_app(Settings(store_url=url), clock=clock, feed=options)
    )
    with (
        serve(app, send_buffer=send_buffer) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        yield Desk(base_url, app, url, clock, http, bearer(http, credentials))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Desk]:
    with desk(tmp_path) as found:
        yield found


def take(events: Iterator[Event], count: int) -> list[Event]:
    return [next(events) for _ in range(count)]


def pairs(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.id, e.event) for e in events]


def logged(entries: list[tuple[str, str, Envelope]]) -> list[tuple[str, str]]:
    return [(id_, name) for id_, name, _ in entries]


def call(conversation_id: str, ani: str = "tel:+15551585963") -> Conversation:
    """A call answered by Ann and ended by the customer (8 detail events)."""
    answered_call = answered(conversation_id)
    answered_call.ani = ani
    for wire in answered_call.wire:
        wire["eventBody"]["ani"] = ani
    return answered_call.user_end(120, "u-ann", "PEER").customer_end(120)


# -- what arrives, in order ------------------------------------------------------------------


def test_a_calls_events_arrive_one_by_one_in_order(server: Desk) -> None:
    wire = call("conv-1").wire
    session = session_id_for("conv-1")
    received: list[Event] = []
    with server.stream() as events:
        for item in wire:
            before = len(server.log())
            server.post([item])
            received += take(events, len(server.log()) - before)  # this event's messages

    assert pairs(received) == logged(server.log())  # every effect once, ids are the cursor
    names = [e.event for e in received if e.data.get("sessionId") == session]
    assert names[0] == "session.started"
    assert names.count("journey.event.added") == 3  # routed, connected, ended
    assert names.index("journey.event.added") < len(names) - 1
    assert "session.changed" in names
    started = next(e for e in received if e.event == "session.started")
    assert started.data["kind"] == "conversation"
    assert started.data["contactId"]
    assert isinstance(started.data["at"], int)
    added = next(e for e in received if e.event == "journey.event.added")
    assert set(added.data) == {"sessionId", "contactId", "kind", "eventId", "at"}
    assert not any(PHONE in json.dumps(e.data) for e in received)  # no personal data


def test_the_messages_say_what_each_effect_is_about() -> None:
    """The data of each kind of effect: ids only, None left out, ``at`` always."""
    contact = Contact(id="k1", type="Curated", created_ms=T0, modified_ms=T0, last_activity_ms=T0)
    merged = fx.ContactMerged("k9", ("k1", "k2"))
    claimed = fx.IdentifierClaimed(
        Identifier("Email", "ann@example.com", "k1", True, T0), previous_contact_id="k0"
    )
    action = fx.ActionBlocked("a1", "m1", 1, "webchat", "s1", "k1", "FrequencyCapping", T0)

    def data(effect: fx.Effect, known: tuple[str | None, str] | None = None) -> Any:
        envelope = Envelope(3, 7, 1, T0, effect)
        made = message(envelope, Cursor().after(envelope), lambda _: known)
        frame = made.frame.decode()
        assert frame.startswith("id: 3:7\r\n")
        return json.loads(frame.split("data: ", 1)[1].split("\r\n", 1)[0]), made.contacts

    assert data(fx.ContactCreated(contact)) == ({"contactId": "k1", "at": T0}, {"k1"})
    body, about = data(merged)
    assert body == {"contactId": "k9", "contactIds": ["k9", "k1", "k2"], "at": T0}
    assert about == {"k9", "k1", "k2"}
    body, about = data(claimed)
    assert body == {"contactId": "k1", "identifierType": "Email", "previousContactId": "k0",
                    "at": T0}  # fmt: skip
    assert "ann@example.com" not in json.dumps(body)
    body, _ = data(fx.JourneyEventRemoved("s1", "e1"), ("k1", "web"))  # the session's, learned
    assert body == {"sessionId": "s1", "eventId": "e1", "contactId": "k1", "kind": "web", "at": T0}
    body, _ = data(action)
    assert body == {"actionId": "a1", "actionMapId": "m1", "sessionId": "s1", "contactId": "k1",
                    "at": T0}  # fmt: skip


# -- resuming with Last-Event-ID -------------------------------------------------------------


def test_a_reconnect_gets_exactly_what_it_missed_from_the_ring(server: Desk) -> None:
    first, second = call("conv-1").wire, call("conv-2").wire
    server.post(first[:4])
    earlier = len(server.log())
    with server.stream() as events:
        server.post(first[4:])
        seen = take(events, len(server.log()) - earlier)  # from connecting on, nothing before
    assert pairs(seen) == logged(server.log())[earlier:]
    server.post(second)  # while disconnected
    entries = server.log()
    missed = logged(entries)[earlier + len(seen) :]
    with server.stream({**server.headers, "Last-Event-ID": seen[-1].id}) as events:
        again = take(events, len(missed))
        assert pairs(again) == missed  # no gap, no duplicate
        server.post(call("conv-3").wire[:1])  # then live, right after
        [live] = take(events, 1)
    assert (live.id, live.event) == logged(server.log())[len(entries)]


def test_a_reconnect_beyond_the_ring_reads_the_store(tmp_path: Path) -> None:
    with desk(tmp_path, FeedOptions(ring_size=3)) as server:
        with server.stream() as events:
            server.post(call("conv-1").wire[:2])
            seen = take(events, len(server.log()))
        server.post(call("conv-2").wire)  # far more than the ring holds
        missed = logged(server.log())[len(seen) :]
        assert len(missed) > 3
        with server.stream(lastEventId=seen[-1].id) as events:  # the first connect's form
            assert pairs(take(events, len(missed))) == missed
            server.post(call("conv-3").wire[:1])
            [live] = take(events, 1)
        assert (live.id, live.event) == logged(server.log())[-1]


def test_reconnecting_anywhere_yields_every_message_exactly_once(tmp_path: Path) -> None:
    with desk(tmp_path, FeedOptions(ring_size=5)) as server:
        server.post(call("conv-1").wire + call("conv-2", "tel:+15559990000").wire)
        everything = logged(server.log())

        @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=6))
        def reconnects(reads: list[int]) -> None:
            """Read ``reads[i]`` messages, drop the connection, resume after the last one."""
            got: list[Event] = []
            last = "0:0"  # from the start of the log
            for count in [*reads, len(everything)]:
                wanted = min(count, len(everything) - len(got))
                if not wanted:
                    break
                with server.stream(lastEventId=last) as events:
                    got += take(events, wanted)
                last = got[-1].id
            assert pairs(got) == everything

        reconnects()


def test_a_malformed_last_event_id_is_a_400(server: Desk) -> None:
    for headers, params in (
        ({"Last-Event-ID": "not-a-cursor"}, {}),
        ({"Last-Event-ID": "99:1"}, {}),  # no such partition
        ({}, {"lastEventId": "3:-1"}),
    ):
        response = server.http.get(
            "/desktop/feed", headers={**server.headers, **headers}, params=params
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "bad.request"
        assert "Last-Event-ID" in response.json()["message"]


@pytest.mark.parametrize("name", ["contact", "session"])
def test_a_filter_given_twice_is_a_400_not_the_last_one(server: Desk, name: str) -> None:
    params = {name: ["c-1", "c-2"]}
    response = server.http.get("/desktop/feed", headers=server.headers, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"fieldName": name}]


# -- filters and roles ----------------------------------------------------------------------


def test_the_contact_filter_keeps_that_contacts_messages(server: Desk) -> None:
    ann, bob = call("conv-ann"), call("conv-bob", "tel:+15559990000")
    server.post([ann.wire[0], bob.wire[0]])
    starts = {e.effect.session_id: e.effect.contact_id for _, _, e in server.log()
              if isinstance(e.effect, fx.SessionStarted)}  # fmt: skip
    contact = starts[session_id_for("conv-ann")]
    assert contact is not None
    assert contact != starts[session_id_for("conv-bob")]
    before = server.log()
    with (
        server.stream(contact=contact) as events,
        server.stream(session=session_id_for("conv-bob")) as bobs,
    ):
        server.post([w for pair in zip(ann.wire[1:], bob.wire[1:], strict=True) for w in pair])
        entries = server.log(Cursor.parse(before[-1][0]))

        def about(envelope: Envelope, who: str | None, session: str) -> bool:
            effect = envelope.effect
            return getattr(effect, "session_id", None) == session or (
                who is not None and getattr(effect, "contact_id", None) == who
            )

        for_ann = [(i, n) for i, n, e in entries if about(e, contact, session_id_for("conv-ann"))]
        for_bob = [(i, n) for i, n, e in entries if about(e, None, session_id_for("conv-bob"))]
        assert for_ann
        assert for_bob
        got = take(events, len(for_ann))
        assert pairs(got) == for_ann
        assert all(e.data.get("contactId") == contact for e in got)
        assert pairs(take(bobs, len(for_bob))) == for_bob
        # journey events carry the session's contact: the filter matched them by either
        assert "journey.event.added" in [e.event for e in got]


ACTION = fx.ActionQualified("a1", "m1", 1, "webchat", "s1", "k1", "event:e1", T0)
CASES = [
    (
        fx.SessionRemoved("s1", "web"),
        {"agent": True, "supervisor": True, "admin": True, "ingest": False},
    ),
    (fx.JourneyEventRemoved("s1", "e1"), {"agent": True, "supervisor": True, "admin": True}),
    (fx.ContactMerged("k9", ("k1", "k2")), {"agent": True, "supervisor": True, "admin": True}),
    (fx.IdentifierReleased("Email", "x", "k1"), {"agent": True, "ingest": False}),
    (fx.SegmentAssigned("g1", "s1", "s1", "k1", T0), {"agent": True, "supervisor": True}),
    (fx.OutcomeAchieved("o1", "s1", "k1", T0), {"agent": True, "admin": True}),
    (ACTION, {"agent": False, "supervisor": True, "admin": True, "ingest": False}),
    (
        fx.ActionChanged("a1", "m1", 1, "webchat", "s1", "k1", "offered", "accepted", T0),
        {"agent": False, "supervisor": True, "admin": True},
    ),
    (ACTION, {"nobody": False, "": False}),
]


@pytest.mark.parametrize(
    ("effect", "role", "sees"),
    [(effect, role, sees) for effect, roles in CASES for role, sees in roles.items()],
)
def test_what_each_role_sees(effect: fx.Effect, role: str, sees: bool) -> None:
    assert visible(role, Envelope(0, 1, 1, T0, effect)) is sees


def test_an_agent_client_reads_the_feed(server: Desk) -> None:
    with server.stream(server.token("agent")) as events:
        server.post(call("conv-1").wire[:1])
        names = [e.event for e in take(events, len(server.log()))]
    assert "session.started" in names


def test_the_feed_needs_a_reader(server: Desk) -> None:
    response = server.http.get("/desktop/feed")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication.required"
    response = server.http.get("/desktop/feed", headers=server.token("ingest"))
    assert response.status_code == 403
    assert response.json()["code"] == "missing.permissions"


# -- slow clients, time, heartbeats ----------------------------------------------------------


@dataclass
class Reader:
    """Reads a stream on a thread of its own, until the server ends it."""

    desk: Desk
    events: list[Event] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    grew: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        with contextlib.suppress(httpx.TransportError), self.desk.stream() as events:
            self.ready.set()
            for event in events:
                with self.grew:
                    self.events.append(event)
                    self.grew.notify_all()

    def wait_for(self, count: int) -> list[Event]:
        with self.grew:
            assert self.grew.wait_for(lambda: len(self.events) >= count, 30)
            return list(self.events)


def test_a_slow_client_is_disconnected_without_stalling_the_others(tmp_path: Path) -> None:
    with desk(tmp_path, FeedOptions(queue_size=2), send_buffer=4096) as server:
        fast = Reader(server)
        thread = threading.Thread(target=fast.run, daemon=True)
        thread.start()
        assert fast.ready.wait(10)
        # a client that reads nothing, with a small receive window: the server's sends block
        tiny = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
        with (
            httpx.Client(transport=tiny, timeout=10) as slow_http,
            slow_http.stream(
                "GET", f"{server.base_url}/desktop/feed", headers=server.headers
            ) as slow,
        ):
            assert slow.status_code == 200
            for n in range(500):  # until its queue is full: a few dozen calls
                server.post(call(f"conv-{n}", f"tel:+1555{n:07d}").wire)
                if server.feed.dropped:
                    break
            assert server.feed.dropped == 1
            assert server.feed.clients == 1  # the fast one
            with pytest.raises(httpx.RemoteProtocolError):  # the server ended it mid-stream
                for _ in slow.iter_bytes():
                    pass
        server.post(call("conv-last").wire[:1])  # and the feed goes on
        entries = server.log()
        assert pairs(fast.wait_for(len(entries))) == logged(entries)  # nothing lost or doubled
    thread.join(10)


def test_a_change_that_comes_with_time_alone_reaches_the_feed(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 300_000)  # 100 s after the agent hung up
    with desk(tmp_path, clock=clock) as server:
        server.post(answered("conv-acw").user_end(200, "u-ann").customer_end(200, "PEER").wire)
        session = session_id_for("conv-acw")
        with server.stream(session=session) as events:
            clock.now_ms = T0 + 200_000 + 600_000  # the after-call-work grace (600 s) ends
            server.services.writer.wake()
            [changed] = take(events, 1)
    assert changed.event == "session.changed"
    assert changed.data["reason"] == "time"
    assert changed.data["sessionId"] == session
    assert (changed.id, changed.event) == logged(server.log())[-1]


def test_heartbeats_keep_a_quiet_stream_alive(tmp_path: Path) -> None:
    with (
        desk(tmp_path, FeedOptions(heartbeat_seconds=0.05)) as server,
        httpx.stream(
            "GET", f"{server.base_url}/desktop/feed", headers=server.headers, timeout=10
        ) as response,
    ):
        comment = next(line for line in response.iter_lines() if line)
    assert comment.startswith(": ping")


def test_a_stream_ends_when_its_desktop_session_ends(tmp_path: Path) -> None:
    """Signing out (or a session ending any other way) ends the streams it opened: the feed
    sends nothing more to a browser that is no longer signed in."""
    with desk(tmp_path, FeedOptions(recheck_seconds=0)) as server:
        body = {"name": "Ann", "email": "ann@example.com", "password": PASSWORD, "role": "agent"}
        created = server.http.post("/api/v2/users", json=body, headers=server.headers)
        assert created.status_code == 200, created.text
        with httpx.Client(base_url=server.base_url, timeout=10) as browser:
            form = browser.get("/desktop/signin").text
            [token] = re.findall(r'name="csrf_token" value="([^"]+)"', form)
            signed = browser.post(
                "/desktop/signin",
                data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token},
            )
            assert signed.status_code == 303
            page = browser.get("/desktop/now").text
            [csrf] = re.findall(r'name="csrf_token" value="([^"]+)"', page)
            cookie = {"Cookie": f"jl_session={browser.cookies['jl_session']}"}
            with server.stream(cookie) as events:
                server.post(call("conv-1").wire[:1])
                assert next(events).event == "contact.created"  # signed in: it arrives
                assert browser.post("/desktop/signout", data={"csrf_token": csrf}).is_redirect
                server.post(call("conv-2").wire[:1])
                rest = list(events)  # the server ends the stream
    assert session_id_for("conv-2") not in {e.data.get("sessionId") for e in rest}
