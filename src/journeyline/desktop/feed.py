"""The live feed: committed effects as Server-Sent Events, for the agent desktop's pages.

A :class:`Feed` is a post-commit subscriber of the app's
:class:`~journeyline.engine.effects.Dispatcher` (``desktop-feed``). Each committed
:class:`~journeyline.model.effects.Envelope` becomes one small message, encoded once, kept in a
bounded ring of recent messages and handed to the connected clients on the event loop (one
``loop.call_soon_threadsafe`` per commit, never a wait on the dispatcher's thread). Each client
has a bounded queue; a client that falls so far behind that its queue is full is disconnected,
and catches up when it reconnects.

``GET /desktop/feed`` (:func:`feed_routes`) streams them with sse-starlette:

- ``id:`` the :class:`~journeyline.model.effects.Cursor` text after the message (``p:pos`` pairs,
  e.g. ``0:12,3:40``); ``event:`` the effect's stable name (``session.changed``, ...);
  ``data:`` compact JSON of ids, never personal data (no names, emails, phones, page titles):
  ``at`` (ms, when the unit of work was applied) and, when they apply and are known,
  ``sessionId``, ``contactId``, ``kind`` (``conversation``, ``web``, ``app``), ``reason``
  (``session.changed``: ``event``, ``link``, ``time``), ``previousContactId`` (a session or an
  identifier moved from it), ``contactIds`` (merges and unmerges: the canonical contact first,
  then its members), ``eventId``, ``segmentId``, ``outcomeId``, ``actionId``, ``actionMapId``,
  ``identifierType``. Pages refetch what they show through their own authorised routes.
  (Made by ``journeyline.desktop.messages``.)
- ``Last-Event-ID`` (or ``?lastEventId=`` on the first connect) resumes after that cursor: what
  was missed comes first, from the ring when the cursor is inside it, else from the store's
  effect log (a connection of the feed's own, read off the event loop), then the live messages,
  with no gap and no duplicate (each partition's positions only grow). A malformed one is a 400.
- ``?contact=ID``: only messages about that contact or its sessions (a session's contact is
  learned from the effects); ``?session=ID``: only that session's. Neither: all that the role
  may see (the "Now" view).
- A heartbeat comment every ``heartbeat_seconds`` (15).
- A stream lasts only as long as its reader may read it: before sending, at most once every
  ``recheck_seconds`` (1), the caller is authorised again, and a signed-out, expired or deleted
  desktop session, an expired token or a changed role ends the stream (the browser's reconnect
  then gets the 401 or the new role's view).

What each role sees (:func:`visible`), desktop users (``agent``, ``supervisor``, ``admin``) and
OAuth clients (``admin``, ``agent``, ``ingest``) alike:

============  ===================================================  ==============  =========
role          session.* journey.* contact.* identifier.*           action.*        connect
              segment.* outcome.*
============  ===================================================  ==============  =========
agent         yes                                                  no              200
supervisor    yes                                                  yes             200
admin         yes                                                  yes             200
ingest        no                                                   no              403
============  ===================================================  ==============  =========
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from dataclasses import dataclass, field

import anyio
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from journeyline.api.params import one_param
from journeyline.desktop.access import needs
from journeyline.desktop.messages import Message, message
from journeyline.engine.effects import Dispatcher, positions_of
from journeyline.model import effects as fx
from journeyline.model.effects import Cursor, Envelope
from journeyline.model.errors import Forbidden, InvalidInput, JourneylineError
from journeyline.store.base import Store

log = logging.getLogger("journeyline.feed")

SUBSCRIBER = "desktop-feed"
HEARTBEAT_SECONDS = 15.0
RECHECK_SECONDS = 1.0  # at most this often, a stream's reader is authorised again
RING_SIZE = 10_000  # recent messages kept for resuming clients
QUEUE_SIZE = 256  # commits' batches waiting for one client before it is disconnected
PAGE = 1000  # effects per read of the store's log when a client resumes from it
SESSIONS_KEPT = 100_000  # session -> (contact, kind), learned from the effects

#: Roles that may read the feed, and those of them that also see the action maps' decisions.
READERS = frozenset({"agent", "supervisor", "admin"})
SEE_ACTIONS = frozenset({"supervisor", "admin"})


def visible(role: str, envelope: Envelope) -> bool:
    """May ``role`` see this effect on the feed (the module docstring's table)?"""
    return _sees(role, envelope.name)


def _sees(role: str, name: str) -> bool:
    if role not in READERS:
        return False
    return not name.startswith("action.") or role in SEE_ACTIONS


@dataclass(eq=False, slots=True)
class Client:
    """A connected client: its role, its filters and its queue of batches."""

    role: str
    contact: str | None
    session: str | None
    queue: asyncio.Queue[tuple[Message, ...]]
    dropped: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def view(self) -> tuple[bool, str | None, str | None]:
        """Clients with the same view are sent the same messages."""
        return self.role in SEE_ACTIONS, self.contact, self.session

    def wants(self, m: Message) -> bool:
        if not _sees(self.role, m.event):
            return False
        if self.session is not None and m.session_id != self.session:
            return False
        return self.contact is None or self.contact in m.contacts


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """``ring_size``: recent messages kept for resuming clients; ``queue_size``: commits'
    batches waiting for one client before it is disconnected; ``heartbeat_seconds``: between
    two comment lines when nothing else is sent (0: none); ``recheck_seconds``: how often, at
    most, a stream's reader is authorised again before it is sent more (0: before each send)."""

    ring_size: int = RING_SIZE
    queue_size: int = QUEUE_SIZE
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    recheck_seconds: float = RECHECK_SECONDS


def _covers(cursor: Sequence[int], other: Sequence[int]) -> bool:
    return all(a >= b for a, b in zip(cursor, other, strict=True))


class Feed:
    """The live feed (module docstring). Create it on the event loop that serves the clients;
    ``close`` it before the dispatcher."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        store_factory: Callable[[], Store],
        options: FeedOptions | None = None,
    ) -> None:
        self.options = options or FeedOptions()
        self.loop = asyncio.get_running_loop()
        self.dropped = 0  # clients disconnected for falling behind
        self._dispatcher = dispatcher
        self._store = store_factory()  # resuming clients read the effect log here
        self._store_lock = threading.Lock()
        self._head = positions_of(self._store)
        self._base = self._head  # the cursor before the ring's oldest message
        self._ring: deque[Message] = deque(maxlen=self.options.ring_size)
        self._sessions: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._clients: set[Client] = set()
        dispatcher.subscribe(SUBSCRIBER, self, self._head)

    @property
    def clients(self) -> int:
        return len(self._clients)

    def close(self) -> None:
        self._dispatcher.unsubscribe(SUBSCRIBER)
        for client in list(self._clients):
            self._drop(client)
        with self._store_lock:
            self._store.close()

    # -- the dispatcher's thread -----------------------------------------------------------

    def __call__(self, envelopes: Sequence[Envelope], /) -> None:
        batch: list[Message] = []
        with self._lock:
            head = self._head
            for envelope in envelopes:
                if head.seen(envelope):  # offered again after a failure
                    continue
                head = head.after(envelope)
                previous = self._learn(envelope.effect)
                made = message(envelope, head, self._sessions.get, previous)
                if len(self._ring) == self._ring.maxlen:
                    oldest = self._ring[0]
                    positions = list(self._base.positions)
                    positions[oldest.partition] = oldest.position
                    self._base = Cursor(tuple(positions))
                self._ring.append(made)
                batch.append(made)
            self._head = head
        if batch:
            with contextlib.suppress(RuntimeError):  # a closed loop: no client is left
                self.loop.call_soon_threadsafe(self._fan_out, tuple(batch))

    def _known(self, session_id: str) -> tuple[str | None, str] | None:
        with self._lock:
            return self._sessions.get(session_id)

    def _learn(self, effect: fx.Effect) -> str | None:
        """Keep each session's contact and kind (the last ``SESSIONS_KEPT`` sessions); the
        contact a session was linked to before, when this effect links it to another."""
        match effect:
            case fx.SessionStarted() | fx.SessionChanged():
                session, contact, kind = effect.session_id, effect.contact_id, effect.kind
            case fx.JourneyEventAdded() if effect.contact_id is not None:
                session, contact, kind = effect.session_id, effect.contact_id, effect.session_type
            case fx.SessionRemoved():
                self._sessions.pop(effect.session_id, None)
                return None
            case _:
                return None
        before = self._sessions.get(session)
        self._sessions[session] = (contact, kind)
        self._sessions.move_to_end(session)
        if len(self._sessions) > SESSIONS_KEPT:
            self._sessions.popitem(last=False)
        moved = before is not None and before[0] is not None and before[0] != contact
        return before[0] if moved and before is not None else None

    # -- the event loop ----------------------------------------------------------------------

    def _fan_out(self, batch: tuple[Message, ...]) -> None:
        views: dict[tuple[bool, str | None, str | None], tuple[Message, ...]] = {}
        for client in list(self._clients):
            chosen = views.get(client.view)
            if chosen is None:
                chosen = views[client.view] = tuple(m for m in batch if client.wants(m))
            if not chosen:
                continue
            if client.queue.full():
                self.dropped += 1
                log.info("a feed client (%s) fell behind and was disconnected", client.role)
                self._drop(client)
            else:
                client.queue.put_nowait(chosen)

    def _drop(self, client: Client) -> None:
        self._clients.discard(client)
        client.dropped.set()

    def connect(
        self, role: str, *, contact: str | None, session: str | None, after: Cursor | None
    ) -> tuple[Client, AsyncIterator[bytes]]:
        """Register a client (on the event loop) and the stream of its SSE frames: what it
        missed after ``after`` (None: nothing), then the live messages."""
        client = Client(role, contact, session, asyncio.Queue(self.options.queue_size))
        with self._lock:
            head = self._head
            ring = None
            if after is not None and _covers(after.positions, self._base.positions):
                ring = tuple(m for m in self._ring if m.position > after.positions[m.partition])
            self._clients.add(client)
        return client, self._stream(client, head, after, ring)

    def disconnect(self, client: Client) -> None:
        self._clients.discard(client)

    async def _stream(
        self, client: Client, head: Cursor, after: Cursor | None, ring: tuple[Message, ...] | None
    ) -> AsyncIterator[bytes]:
        seen = list(head.positions if after is None else after.positions)
        if ring is not None:
            frames = self._frames(client, ring, seen)
            if frames:
                yield frames
        elif after is not None:
            async for frames in self._from_store(client, after, head, seen):
                yield frames
        deduping = True  # until a batch has nothing already sent (commit order: none after)
        while True:
            batch = await client.queue.get()
            if deduping:
                fresh = [m for m in batch if m.position > seen[m.partition]]
                for m in fresh:
                    seen[m.partition] = m.position
                deduping = len(fresh) < len(batch)
                batch = tuple(fresh)
            if batch:
                yield b"".join(m.frame for m in batch)

    @staticmethod
    def _frames(client: Client, messages: Iterable[Message], seen: list[int]) -> bytes:
        chosen = []
        for m in messages:
            if m.position > seen[m.partition]:
                seen[m.partition] = m.position
                if client.wants(m):
                    chosen.append(m.frame)
        return b"".join(chosen)

    async def _from_store(
        self, client: Client, after: Cursor, head: Cursor, seen: list[int]
    ) -> AsyncIterator[bytes]:
        """The effects after ``after`` up to ``head``, from the effect log, page by page."""
        cursor = after
        while not _covers(cursor.positions, head.positions):
            made, cursor = await anyio.to_thread.run_sync(self._read, cursor)
            if not made:
                break
            frames = self._frames(client, made, seen)
            if frames:
                yield frames

    def _read(self, cursor: Cursor) -> tuple[list[Message], Cursor]:
        """A page of the effect log after ``cursor`` as messages, and the cursor after it
        (on a worker thread)."""
        with self._store_lock:
            read = self._store.effects_after(cursor, limit=PAGE)
        made = []
        for envelope in read:
            cursor = cursor.after(envelope)
            made.append(message(envelope, cursor, self._known))
        return made, cursor


# -- the route -----------------------------------------------------------------------------


class _FeedResponse(EventSourceResponse):
    """An SSE response that ends when its client is dropped for falling behind."""

    def __init__(self, feed: Feed, client: Client, frames: AsyncIterator[bytes]) -> None:
        super().__init__(frames, ping=feed.options.heartbeat_seconds)
        self.feed = feed
        self.client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    await self.client.dropped.wait()
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                await super().__call__(scope, receive, send)
                group.cancel_scope.cancel()
        finally:
            self.feed.disconnect(self.client)


def last_event_id(request: Request) -> Cursor | None:
    """The cursor a client resumes after: ``Last-Event-ID``, else ``?lastEventId=``."""
    text = request.headers.get("last-event-id") or request.query_params.get("lastEventId")
    if not text:
        return None
    try:
        return Cursor.parse(text)
    except ValueError as exc:
        raise InvalidInput(
            f"Last-Event-ID is not a feed cursor ('p:pos' pairs): {text[:80]!r}",
            field="Last-Event-ID",
        ) from exc


async def _while_allowed(
    frames: AsyncIterator[bytes], allowed: Callable[[], Awaitable[bool]], every_s: float
) -> AsyncIterator[bytes]:
    """``frames`` for as long as ``allowed()`` (asked at most every ``every_s`` seconds, before
    a send): a stream must not outlive its reader's right to read it."""
    checked = time.monotonic()
    try:
        async for chunk in frames:
            now = time.monotonic()
            if now - checked >= every_s:
                if not await allowed():
                    return
                checked = now
            yield chunk
    finally:
        if isinstance(frames, AsyncGenerator):
            await frames.aclose()


def _app_feed(request: Request) -> Feed:
    found = getattr(request.app.state.services, "feed", None)
    if not isinstance(found, Feed):
        raise RuntimeError("the app has no live feed")
    return found


#: What reading the live feed takes: a signed-in user's, or a bearer token's, role has it.
PERMISSION = "journey:read"


def feed_routes(
    authorize: Callable[[Request], Awaitable[str]],
    feed_of: Callable[[Request], Feed] = _app_feed,
) -> list[Route]:
    """``GET /desktop/feed``. ``await authorize(request)`` returns the caller's role, if it has
    ``PERMISSION``, or raises Unauthorized / Forbidden; ``feed_of(request)`` finds the app's
    Feed."""

    @needs(PERMISSION)
    async def stream(request: Request) -> _FeedResponse:
        role = await authorize(request)
        if role not in READERS:
            raise Forbidden(f"role '{role}' may not read the live feed")
        after = last_event_id(request)
        feed = feed_of(request)
        contact = one_param(request, "contact") or None  # twice: a 400, not the last one
        session = one_param(request, "session") or None
        client, frames = feed.connect(role, contact=contact, session=session, after=after)

        async def allowed() -> bool:
            try:
                return await authorize(request) == role
            except JourneylineError:  # signed out, expired, deleted, no longer a reader
                return False

        checked = _while_allowed(frames, allowed, feed.options.recheck_seconds)
        return _FeedResponse(feed, client, checked)

    return [Route("/desktop/feed", stream)]
