"""The engine: stores accepted input in the log and updates the projections, in one unit of work.

``Engine.apply`` takes a batch of parsed inputs — conversation detail events, web and app events,
identity commands — appends the new ones to the log (duplicates are recognised by their
idempotency key) and applies them: identity first, in arrival order; then every conversation the
batch touched is refolded with the pure ``core.conversation.fold``, and every visitor's affected
web sessions with ``core.websession`` — all in one transaction, so an acknowledged batch is
either wholly stored or not at all. A command that fails (say, an unknown contact) is undone
alone, inside a savepoint, and reported; the rest of the batch stands.

The engine keeps recently touched conversations and visitors in memory; a miss reloads them.
Within a process it is the only writer; when another process has written to the log meanwhile
(``journeyline import`` beside a running server), it notices and drops what it holds.
``rebuild`` replays the whole log, in arrival order, through this same code.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from journeyline.clock import Clock
from journeyline.core.conversation import Folded, fold, session_id_for
from journeyline.core.websession import SESSION_TIMEOUT_MS
from journeyline.engine.effects import COMMANDS_KEY
from journeyline.engine.identity import (
    AGENT,
    COMMAND_KIND,
    UNVERIFIED,
    VERIFIED,
    Identity,
    decode_command,
    encode_command,
)
from journeyline.engine.web import WebProjector, partition_of
from journeyline.errors import JourneylineError
from journeyline.ingest import genesys_detail
from journeyline.ingest import genesys_web as web
from journeyline.ingest.genesys_detail import Accepted
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.model.commands import Command
from journeyline.model.detail import DetailEvent
from journeyline.model.session import ConversationSession
from journeyline.store.base import ConversationWrite, LogRecord, Store

Status = Literal["accepted", "duplicate", "failed"]


@dataclass(frozen=True, slots=True)
class CommandInput:
    key: str  # a fresh id: commands are never duplicates of each other
    command: Command


Input = Accepted | AcceptedWeb | CommandInput


@dataclass(frozen=True, slots=True)
class Applied:
    key: str
    status: Status
    session_id: str | None = None
    result: dict[str, Any] | None = None
    error: JourneylineError | None = None


@dataclass(slots=True)
class _Cached:
    events: dict[str, DetailEvent]
    folded: Folded
    link_key: tuple[object, ...] = ()  # what the contact link was decided from
    linked: str | None = None  # the contact it was linked to
    settled: bool = False  # whether that link can only change with ``link_key``


@dataclass(slots=True)
class _Refolded:
    conversation_id: str
    events: dict[str, DetailEvent]
    folded: Folded
    cached: _Cached | None
    row: tuple[str | None, int] | None  # the session's link, when a cache miss read it


def _write(folded: Folded, previous: Folded | None) -> ConversationWrite:
    """The rows a refold changes: all of them for a conversation new to the cache."""
    if previous is None:
        return ConversationWrite(folded.session, folded.events, (), True)
    before = {e.id: e for e in previous.events}
    changed = [e for e in folded.events if before.get(e.id) != e]
    current = {e.id for e in folded.events}
    removed = [i for i in before if i not in current]
    return ConversationWrite(folded.session, changed, removed, False)


def _link_key(session: ConversationSession) -> tuple[object, ...]:
    return (
        session.external_contact_id,
        session.customer_id,
        session.customer_id_type,
        session.journey_context,
    )


def _record(item: Accepted | AcceptedWeb, now_ms: int, unit: int) -> LogRecord:
    if isinstance(item, Accepted):
        return LogRecord(
            item.event.key, genesys_detail.KIND, item.event.conversation_id, now_ms, item.body, unit
        )
    return LogRecord(item.event.key, web.KIND, partition_of(item.event), now_ms, item.body, unit)


def _units(batch: Sequence[Input]) -> list[list[Input]]:
    """Runs of events, and each command on its own, in order."""
    units: list[list[Input]] = []
    for item in batch:
        if isinstance(item, CommandInput) or not units or isinstance(units[-1][0], CommandInput):
            units.append([item])
        else:
            units[-1].append(item)
    return units


class Engine:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        cache_size: int = 20_000,
        web_timeout_ms: int = SESSION_TIMEOUT_MS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.cache_size = cache_size
        self.identity = Identity(store)
        self.web = WebProjector(store, timeout_ms=web_timeout_ms)
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._bodies: dict[str, bytes] = {}  # canonical bodies of the batch being applied
        self._stale_contacts: set[str] = set()  # contacts whose linked sessions changed
        self._pending: list[ConversationWrite] = []  # conversation rows of the unit, to store
        self._unit: int | None = None  # the last unit of work logged
        self._seen_seq: int | None = None  # the log's end when this engine last wrote

    def apply(self, batch: Sequence[Input]) -> list[Applied]:
        """Store and apply a batch in one transaction; the caller acknowledges after it returns.

        The batch is applied in units — each run of events, each command — and every logged
        input records its unit, so that a replay meets the same units in the same order.
        """
        now = self.clock()
        results: list[Applied] = []
        self.identity.effects.clear()  # nothing takes them yet: keep only the last batch's
        with self.store.transaction():
            if self.store.last_seq() != self._seen_seq:  # another process wrote meanwhile
                self.forget()
                self._unit = None
            if self._unit is None:
                self._unit = self.store.last_unit()
            for unit in _units(batch):
                self._unit += 1
                if isinstance(unit[0], CommandInput):
                    results.append(self._command(unit[0], now, log=True, unit=self._unit))
                    continue
                records = [_record(item, now, self._unit) for item in unit]  # type: ignore[arg-type]
                new_keys = self.store.append(records)
                results += self._apply(unit, new_keys, now, log_commands=True)
            self._seen_seq = self.store.last_seq()
        return results

    def _apply(
        self, batch: Sequence[Input], new_keys: set[str], now: int, *, log_commands: bool
    ) -> list[Applied]:
        touched: dict[str, list[DetailEvent]] = {}
        visitors: dict[str, list[Any]] = {}
        outcome: dict[int, Applied] = {}
        seen: set[str] = set()
        conversation_sessions: dict[str, str] = {}
        web_sessions: dict[str, str] = {}

        def flush() -> None:
            """Project the events gathered so far (before a command changes identity)."""
            refolded = [self._refold(cid, new) for cid, new in touched.items()]
            self.store.save_conversations(self._pending)
            self._pending.clear()
            for item in refolded:
                conversation_sessions[item.conversation_id] = self._settle(item)
            for contact_id in sorted(self._stale_contacts):
                self.identity.refresh(contact_id)
            self._stale_contacts.clear()
            for partition, new_events in visitors.items():
                self.identity.effects.at(partition)
                contact_id, verified, new_cookie = self.identity.visitor(new_events)
                web_sessions.update(
                    self.web.apply(
                        partition, new_events, (contact_id, verified), new_visitor=new_cookie
                    )
                )
            self.web.write()
            touched.clear()
            visitors.clear()
            self._bodies.clear()

        for index, item in enumerate(batch):
            if isinstance(item, CommandInput):
                flush()
                outcome[index] = self._command(item, now, log=log_commands)
                continue
            key = item.event.key
            if key not in new_keys or key in seen:
                outcome[index] = Applied(key, "duplicate")
                continue
            seen.add(key)
            if isinstance(item, Accepted):
                touched.setdefault(item.event.conversation_id, []).append(item.event)
                self._bodies[key] = item.body
            else:
                visitors.setdefault(partition_of(item.event), []).append(item.event)
        flush()
        results: list[Applied] = []
        for index, item in enumerate(batch):
            if index in outcome and outcome[index].status != "duplicate":
                results.append(outcome[index])
                continue
            if isinstance(item, Accepted):
                session_id = conversation_sessions.get(item.event.conversation_id)
                session_id = session_id or session_id_for(item.event.conversation_id)
            elif isinstance(item, AcceptedWeb):
                session_id = web_sessions.get(item.event.key) or self._web_session_of(item)
            else:
                session_id = None
            status: Status = "duplicate" if index in outcome else "accepted"
            results.append(
                Applied(
                    item.key if isinstance(item, CommandInput) else item.event.key,
                    status,
                    session_id,
                )
            )
        return results

    def _web_session_of(self, item: AcceptedWeb) -> str | None:
        """The session a duplicate web event belongs to (it was applied before)."""
        return self.web.session_of(partition_of(item.event), item.event.key)

    def _command(self, item: CommandInput, now: int, *, log: bool, unit: int = 0) -> Applied:
        try:
            with self.store.savepoint():
                if log:
                    body = encode_command(item.command)
                    record = LogRecord(item.key, COMMAND_KIND, "identity", now, body, unit)
                    self.store.append([record])
                self.identity.effects.at(COMMANDS_KEY)
                result = self.identity.execute(item.command)
        except JourneylineError as exc:
            return Applied(item.key, "failed", error=exc)
        self.forget()  # links and cookies may have moved: reload from the store
        return Applied(item.key, "accepted", result=result)

    def _refold(self, conversation_id: str, new: list[DetailEvent]) -> _Refolded:
        """Fold a conversation with its new events; its rows wait in ``_pending`` to be stored."""
        cached = self._cache.pop(conversation_id, None)
        row: tuple[str | None, int] | None = None
        if cached is None:
            events = {e.key: e for e in new}
            fresh = {self._bodies[e.key] for e in new if e.key in self._bodies}
            row = self.store.session_link(session_id_for(conversation_id))
            stored = (
                self.store.log_for_partition(genesys_detail.KIND, conversation_id)
                if row is not None
                else []
            )
            for body in stored:
                if body not in fresh:  # the batch's own events are parsed already
                    event = genesys_detail.parse_canonical(body)
                    events.setdefault(event.key, event)
            previous = None
            row = row or (None, UNVERIFIED)
        else:
            events = cached.events
            events.update((e.key, e) for e in new)
            previous = cached.folded
        folded = fold(events.values())
        self._pending.append(_write(folded, previous))
        return _Refolded(conversation_id, events, folded, cached, row)

    def _settle(self, refolded: _Refolded) -> str:
        """After the rows are stored: the contact link, and the cache."""
        folded, cached = refolded.folded, refolded.cached
        key = _link_key(folded.session)
        if cached is not None and cached.link_key == key and cached.settled:
            linked, settled = cached.linked, True  # nothing a settled link depends on changed
        else:
            linked, settled = self._link(folded.session, refolded.row)
        if linked:
            self._stale_contacts.add(linked)
        self._cache[refolded.conversation_id] = _Cached(
            refolded.events, folded, key, linked, settled
        )
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return folded.session.id

    def _link(
        self, session: ConversationSession, link: tuple[str | None, int] | None = None
    ) -> tuple[str | None, bool]:
        """Link a conversation session to its contact; returns the contact, and whether the link
        is settled — an agent's, the contact centre's or the visitor's own — rather than a match
        that later identity changes may move. ``link``: the current link, when known."""
        if link is None:
            link = self.store.session_link(session.id)
        before, level = link if link is not None else (None, UNVERIFIED)
        if before is not None and level == AGENT:
            return before, True  # an agent's verification stands
        contact_id: str | None
        if session.external_contact_id:  # named by the contact centre
            contact_id, verified = session.external_contact_id, True
        elif before is not None and level and not self._auto(before):
            return before, True  # the visitor's own cookie (a chat from the website)
        else:
            self.identity.effects.at(session.conversation_id)
            contact_id, verified = self.identity.conversation(session)
        self.store.link_session(session.id, contact_id, VERIFIED if verified else UNVERIFIED)
        if before:
            self._stale_contacts.add(before)
        settled = verified and contact_id is not None and not self._auto(contact_id)
        return contact_id, settled

    def _auto(self, contact_id: str) -> bool:
        contact = self.store.contact_get(contact_id)
        return contact is not None and contact.origin == "conversation"

    def forget(self) -> None:
        """Drop the in-memory state (after a failed unit of work, a command, or a rebuild)."""
        self._cache.clear()
        self._pending.clear()
        self.web.forget()

    def replay(self, records: Iterable[tuple[str, str, bytes]]) -> None:
        """Apply logged inputs ``(key, kind, body)`` again, in order, without logging them."""
        self.identity.effects.clear()
        batch: list[Input] = []
        for key, kind, body in records:
            if kind == genesys_detail.KIND:
                batch.append(Accepted(genesys_detail.parse_canonical(body), body))
            elif kind == web.KIND:
                batch.append(AcceptedWeb(web.decode_stored(body), body))
            elif kind == COMMAND_KIND:
                batch.append(CommandInput(key, decode_command(body)))
        keys = {item.event.key for item in batch if not isinstance(item, CommandInput)}
        results = self._apply(batch, keys, self.clock(), log_commands=False)
        failed = [r for r in results if r.status == "failed"]
        if failed:
            raise failed[0].error or JourneylineError("a logged command failed on replay")


def rebuild(store: Store, clock: Clock, *, web_timeout_ms: int = SESSION_TIMEOUT_MS) -> int:
    """Replay the whole log, unit by unit, into fresh projections; returns the entries applied."""
    engine = Engine(store, clock, web_timeout_ms=web_timeout_ms)
    count = 0
    with store.transaction():
        store.clear_projections()
        pending: list[tuple[str, str, bytes]] = []
        current: int | None = None
        for unit, key, kind, body in store.iter_all_log():
            if unit != current and pending:
                engine.replay(pending)
                count += len(pending)
                pending = []
            current = unit
            pending.append((key, kind, body))
        if pending:
            engine.replay(pending)
            count += len(pending)
    return count
