"""The engine: stores accepted input in the log and updates the projections, in one unit of work.

``Engine.apply`` takes a batch of parsed inputs — conversation detail events, web and app events,
identity commands — appends the new ones to the log (duplicates are recognised by their
idempotency key) and applies them: identity first, in arrival order; then every conversation the
batch touched is refolded with the pure ``core.conversation.fold``, and every visitor's affected
web sessions with ``core.websession`` — all in one transaction, so an acknowledged batch is
either wholly stored or not at all. A command that is refused (say, an unknown contact) is
undone alone, inside a savepoint, and reported; the rest of the batch stands. A store failure
anywhere fails the whole batch.

The engine keeps recently touched conversations and visitors in memory; a miss reloads them.
Within a process it is the only writer; when another process has written to the log meanwhile
(``journeyline import`` beside a running server), it notices and drops what it holds.
``rebuild`` replays the whole log, in arrival order, through this same code.

What a unit changed comes back as typed effects (``model.effects``): each input's effects are
attributed to its customer's partition and numbered there (``Envelope.position``), stored in
the effect log in the same transaction, and handed to in-transaction subscribers before the
commit (``Engine.in_transaction``). Time is an input too: a :class:`TickInput` (logged like any
input, kind ``clock.tick``) runs the deadlines that have come due — the after-call-work grace
ending, a web session going idle — and emits what they changed.

Partitions replace a global counter for noticing another writer: each unit bumps the
``units`` count of the partitions it touched, and an engine that finds a partition moved by
someone else drops what it holds in memory before it applies anything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec

from journeyline.clock import Clock
from journeyline.config import Settings
from journeyline.core.action_maps import OfferPolicy
from journeyline.core.card import web_card_for
from journeyline.core.conversation import session_id_for
from journeyline.core.websession import SESSION_TIMEOUT_MS
from journeyline.engine import erasure, queries
from journeyline.engine.assignments import Assignments
from journeyline.engine.conversations import ConversationProjector
from journeyline.engine.definitions import Definitions
from journeyline.engine.effects import (
    COMMANDS_KEY,
    Effects,
    InTransaction,
    UnitView,
)
from journeyline.engine.identity import (
    COMMAND_KIND,
    Identity,
    encode_command,
)
from journeyline.engine.inputs import (
    TICK_KIND,
    Applied,
    CommandInput,
    Input,
    Outcome,
    Solo,
    Status,
    TickInput,
    decode_logged,
    partition_of_record,
    record_of,
    tick_body,
)
from journeyline.engine.inputs import units as _units_of
from journeyline.engine.journeys import JourneyRules
from journeyline.engine.offers import WebActions
from journeyline.engine.web import WebProjector, partition_of, partition_of_session
from journeyline.ids import new_id
from journeyline.ingest.genesys_detail import Accepted
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.model.commands import (
    AssignSegments,
    DeleteDefinition,
    EraseContact,
    PutDefinition,
    RecordActionEvent,
)
from journeyline.model.effects import (
    PARTITIONS,
    AnyCard,
    Effect,
    Envelope,
    SessionChanged,
)
from journeyline.model.errors import JourneylineError, StoreError
from journeyline.store.base import ERASED_KIND, LogRecord, Store

log = logging.getLogger("journeyline.engine")

#: How long an agent-ended conversation stays "After-call work" (JOURNEYLINE_ACW_GRACE_SECONDS).
ACW_GRACE_MS = 600_000
__all__ = ["ACW_GRACE_MS", "Applied", "CommandInput", "Engine", "Input", "Outcome", "TickInput"]


def offer_policy_of(settings: Settings) -> OfferPolicy:
    """The frequency capping of web offers the settings ask for (``JOURNEYLINE_OFFERS_*``)."""
    return OfferPolicy(
        cap_after_rejection=settings.offers_cap_after_rejection,
        cap_after_acceptance=settings.offers_cap_after_acceptance,
        min_wait_ms=settings.offers_min_wait_seconds * 1000,
    )


class Engine:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        cache_size: int = 20_000,
        web_timeout_ms: int = SESSION_TIMEOUT_MS,
        acw_grace_ms: int = ACW_GRACE_MS,
        offer_policy: OfferPolicy | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.effects = Effects()
        #: Called inside each unit's transaction, before the commit (see ``engine.effects``).
        self.in_transaction: list[InTransaction] = []
        self.identity = Identity(store, self.effects)
        self.definitions = Definitions(store)
        #: What browsers report of the web offers they were served (engine.offers).
        self.actions = WebActions(store, self.effects)
        self.conversations = ConversationProjector(
            store, self.effects, self.identity, acw_grace_ms=acw_grace_ms, cache_size=cache_size
        )
        self.web = WebProjector(store, self.effects, timeout_ms=web_timeout_ms)
        #: Segments, outcomes and action maps on the unit's journey events (engine.journeys).
        self.journeys = JourneyRules(self.definitions, self.conversations.name, offer_policy)
        self._unit: int | None = None  # the last unit of work logged
        #: Whether this engine runs deadlines that came due (a tick before a batch). An API
        #: node in scale-out mode does not: time is the workers' work (``Writer``).
        self.deadlines = True
        #: partition -> (last effect position, units) as this engine last left them
        self._positions: dict[int, tuple[int, int]] | None = None
        #: An erasure committed and its older copies may still be in the store's files.
        self._reclaim = False
        #: Whether the store refuses any erased customer's events (None: not read yet); read
        #: again after ``forget``, as another writer's erasure moves the positions
        self._refusing: bool | None = None

    @classmethod
    def from_settings(cls, store: Store, settings: Settings, clock: Clock) -> Engine:
        """The engine as the settings configure it (web session timeout, after-call work)."""
        return cls(
            store,
            clock,
            web_timeout_ms=settings.web_session_timeout_seconds * 1000,
            acw_grace_ms=settings.acw_grace_seconds * 1000,
            offer_policy=offer_policy_of(settings),
        )

    def apply(self, batch: Sequence[Input]) -> Outcome:
        """Store and apply a batch in one transaction; the caller acknowledges after it returns.

        The batch is applied in units — each run of events, each command, each tick — and
        every logged input records its unit, so that a replay meets the same units in the same
        order. Each unit's effects are numbered in their partitions and stored with it.
        """
        now = self.clock()
        try:
            return self._apply_batch(batch, now)
        except BaseException:
            self.forget()  # what it holds in memory may be of the rolled-back batch
            raise

    def _apply_batch(self, batch: Sequence[Input], now: int) -> Outcome:
        results: list[Applied] = []
        envelopes: list[Envelope] = []
        with self.store.transaction():
            stored = self.store.partition_positions()
            if stored != self._positions:  # new to this store, or another writer moved on
                self.forget()
            if self._unit is None:
                self._unit = self.store.last_unit()
            positions = dict(stored)
            units = _units_of(batch)
            due = self.next_deadline() if self.deadlines else None
            added_tick = self.deadlines and bool(batch) and due is not None and due <= now
            if added_tick and not isinstance(batch[0], TickInput):
                # time came first: cards change by the deadline before the batch changes them
                units.insert(0, [TickInput(new_id(), now)])
            else:
                added_tick = False
            for index, unit in enumerate(units):
                self._unit += 1
                self.effects.clear()
                touched: set[int] = set()
                first = unit[0]
                if isinstance(first, CommandInput):
                    self.effects.at(COMMANDS_KEY)
                    touched.add(self.effects.partition)
                    applied = self._command(first, now, log=True, unit=self._unit)
                    results.append(applied)
                    erased = applied.result.get("erased") if applied.result else None
                    if erased:  # what this batch announced of the person, not stored yet
                        envelopes = erasure.scrub(envelopes, erased)
                        self._reclaim = self._refusing = True
                elif isinstance(first, TickInput):
                    self.effects.at(TICK_KIND)
                    touched.add(self.effects.partition)
                    applied = self._tick(first, log=True, unit=self._unit)
                    if not (added_tick and index == 0):
                        results.append(applied)  # not the tick the engine added itself
                else:
                    results += self._events(unit, touched, now, self._unit)  # type: ignore[arg-type]
                effects = self._subscribers(now, self._unit)
                for partition in touched | {p for p, _ in effects}:
                    position, count = positions.get(partition, (0, 0))
                    positions[partition] = (position, count + 1)
                for partition, effect in effects:
                    position, count = positions[partition]
                    positions[partition] = (position + 1, count)
                    envelopes.append(Envelope(partition, position + 1, self._unit, now, effect))
            self.store.effects_append(envelopes)
            self.store.partition_positions_put(
                {p: v for p, v in positions.items() if stored.get(p) != v}
            )
            self._positions = positions
        if self._reclaim:  # committed: now the files may lose their older copies too
            self.reclaim()
        return Outcome(results, envelopes)

    @property
    def reclaim_pending(self) -> bool:
        """An erasure committed whose older copies may still be in the store's files."""
        return self._reclaim

    def reclaim(self) -> None:
        """What an erasure removed leaves the store's files (``Store.reclaim_erased``); when a
        reader keeps that from finishing, the next unit tries again, and so does the writer
        when it is idle (``Writer``: within a second). A failure here does not fail the
        batch: it is committed, and acknowledged."""
        try:
            self._reclaim = not self.store.reclaim_erased()
        except StoreError:
            log.exception("reclaiming an erasure's space failed; it is tried again")

    def _events(
        self, unit: Sequence[Accepted | AcceptedWeb], touched: set[int], now: int, number: int
    ) -> list[Applied]:
        """Log and apply a run of events, but those of a customer erased lately
        (``erasure.refused``): they are refused, not logged."""
        if self._refusing is None:
            self._refusing = self.store.erased_customers_any(now)
        refused = erasure.refused(self.store, unit, now) if self._refusing else {}
        kept = [item for index, item in enumerate(unit) if index not in refused]
        if not kept:
            return [refused[index] for index in range(len(unit))]
        records = [record_of(item, now, number) for item in kept]
        touched.update(partition_of_record(r) for r in records)
        new_keys = self.store.append(records)
        applied = iter(self._apply(kept, new_keys, now, log_commands=True))
        return [refused[index] if index in refused else next(applied) for index in range(len(unit))]

    def tick(self) -> Outcome:
        """Run the deadlines due now (the writer calls this when the earliest one passes)."""
        return self.apply([TickInput(new_id(), self.clock())])

    def next_deadline(self) -> int | None:
        """When the earliest pending deadline falls due (epoch ms), None when there is none:
        a session's card changing with time, a segment assignment lapsing, or a contact
        expiring (due the millisecond after its expiry)."""
        expiry = self.store.next_contact_expiry()
        candidates = (
            self.store.next_deadline(),
            self.store.next_unassignment(),
            expiry + 1 if expiry is not None else None,
        )
        dues = [d for d in candidates if d is not None]
        return min(dues) if dues else None

    def _subscribers(self, now: int, unit: int) -> list[tuple[int, Effect]]:
        """The unit's effects, and what the in-transaction subscribers add to them."""
        effects = list(self.effects.items)
        effects += self.journeys(UnitView(self.store, now, unit, tuple(effects)))
        for subscriber in self.in_transaction:
            added = list(subscriber(UnitView(self.store, now, unit, tuple(effects))))
            for partition, _ in added:
                if not 0 <= partition < PARTITIONS:
                    raise ValueError(f"an in-transaction subscriber gave partition {partition}")
            effects += added
        self.effects.clear()
        return effects

    def _apply(
        self, batch: Sequence[Input], new_keys: set[str], now: int, *, log_commands: bool
    ) -> list[Applied]:
        touched: dict[str, list[Accepted]] = {}
        visitors: dict[str, list[Any]] = {}
        outcome: dict[int, Applied] = {}
        seen: set[str] = set()
        conversation_sessions: dict[str, str] = {}
        web_sessions: dict[str, str] = {}

        def flush() -> None:
            """Project the events gathered so far (before a command changes identity)."""
            conversation_sessions.update(self.conversations.apply(touched, now))
            with self.identity.visitors(visitors.values()):
                for partition, new_events in visitors.items():
                    self.effects.at(partition)
                    contact_id, verified, new_cookie, name = self.identity.visitor(new_events)
                    web_sessions.update(
                        self.web.apply(
                            partition,
                            new_events,
                            (contact_id, verified),
                            new_visitor=new_cookie,
                            now_ms=now,
                            customer_name=name,
                        )
                    )
            self.web.write()
            touched.clear()
            visitors.clear()

        for index, item in enumerate(batch):
            if isinstance(item, CommandInput):
                flush()
                self.effects.at(COMMANDS_KEY)
                outcome[index] = self._command(item, now, log=log_commands)
                continue
            if isinstance(item, TickInput):
                flush()
                self.effects.at(TICK_KIND)
                outcome[index] = self._tick(item, log=False)
                continue
            key = item.event.key
            if key not in new_keys or key in seen:
                outcome[index] = Applied(key, "duplicate")
                continue
            seen.add(key)
            if isinstance(item, Accepted):
                touched.setdefault(item.event.conversation_id, []).append(item)
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
                    item.key if isinstance(item, Solo) else item.event.key,
                    status,
                    session_id,
                )
            )
        return results

    def _web_session_of(self, item: AcceptedWeb) -> str | None:
        """The session a duplicate web event belongs to (it was applied before)."""
        return self.web.session_of(partition_of(item.event), item.event.key)

    def _command(self, item: CommandInput, now: int, *, log: bool, unit: int = 0) -> Applied:
        """Apply a command inside a savepoint: a refusal (unknown contact, bad merge) is undone
        alone and reported; a store failure fails the whole batch."""
        emitted = len(self.effects.items)
        command = item.command
        try:
            with self.store.savepoint():
                person = None
                if isinstance(command, EraseContact) and log:  # logged with what it erases
                    command, person = erasure.resolve(self.store, command)
                if log:
                    body = encode_command(command)
                    record = LogRecord(item.key, COMMAND_KIND, "identity", now, body, unit)
                    self.store.append([record])
                self.effects.at(COMMANDS_KEY)
                if isinstance(command, EraseContact):
                    erasure.erase(self.store, self.effects, command, person)
                    erased = [*command.contact_ids, *command.session_ids]
                    result = {"id": command.id, "erased": erased}
                elif isinstance(command, PutDefinition | DeleteDefinition):
                    result = self.definitions.execute(command)
                elif isinstance(command, AssignSegments):
                    segment_of = self.definitions.current().segment_of
                    effects, result = Assignments(self.store).execute(command, segment_of)
                    for effect in effects:
                        self.effects.emit(effect)
                elif isinstance(command, RecordActionEvent):
                    result = self.actions.execute(command)
                else:
                    result = self.identity.execute(command)
        except StoreError:
            raise  # the transaction itself is in doubt (a full disk rolls it back whole)
        except JourneylineError as exc:
            del self.effects.items[emitted:]  # undone with the savepoint
            self.identity.forget()  # as are the rows it may have written before it failed
            return Applied(item.key, "failed", error=exc)
        if not isinstance(command, RecordActionEvent):  # an action's state moves no identity
            self._forget_cached()  # links and cookies may have moved: reload from the store
        return Applied(item.key, "accepted", result=result)

    def names_changed(self) -> None:
        """The directory may have changed: read names again for the next cards."""
        self.conversations.names_changed()

    def _tick(self, item: TickInput, *, log: bool, unit: int = 0) -> Applied:
        """Time passed: each deadline due by ``item.at_ms`` changes its session's card."""
        if log:
            body = tick_body(item.at_ms)
            self.store.append([LogRecord(item.key, TICK_KIND, TICK_KIND, item.at_ms, body, unit)])
        due = self.store.deadlines_due(item.at_ms)
        for session_id, kind, due_ms in due:
            link = self.store.session_link(session_id)
            contact_id = link[0] if link else None
            times = (due_ms - 1, item.at_ms)
            cards: list[AnyCard]
            if kind == "conversation":
                session = self.store.get_session(session_id)
                if session is None:
                    continue
                self.effects.at(session.conversation_id)
                cards = [self.conversations.card(session, t) for t in times]
            else:
                web = self.store.web_session_get(session_id)
                if web is None:
                    continue
                self.effects.at(partition_of_session(web))
                name = queries.customer_name(self.store, contact_id)
                timeout = self.web.timeout_ms
                cards = [
                    web_card_for(web, now_ms=t, timeout_ms=timeout, customer_name=name)
                    for t in times
                ]
            if cards[0] != cards[1]:
                self.effects.emit(
                    SessionChanged(session_id, kind, contact_id, cards[0], cards[1], "time")
                )
        self.store.deadlines_put([(sid, kind, None) for sid, kind, _ in due])
        self.effects.at(TICK_KIND)
        expired = self.identity.expire(item.at_ms)
        segment_of = self.definitions.current().segment_of
        lapsed = Assignments(self.store).expire(item.at_ms, segment_of)
        for effect in lapsed:
            self.effects.at(self._partition_key(effect.session_id))
            self.effects.emit(effect)
        return Applied(
            item.key,
            "accepted",
            result={"deadlines": len(due), "unassigned": len(lapsed), "expired": expired},
        )

    def _partition_key(self, session_id: str) -> str:
        """The customer key a session's effects belong to (the tick's own for no session)."""
        conversation = self.store.get_session(session_id) if session_id else None
        if conversation is not None:
            return conversation.conversation_id
        web = self.store.web_session_get(session_id) if session_id else None
        return partition_of_session(web) if web is not None else TICK_KIND

    def forget(self) -> None:
        """Drop the in-memory state (after a failed unit of work, or another writer's)."""
        self._forget_cached()
        self.conversations.names_changed()
        self.definitions.forget()
        self._positions = None
        self._unit = None
        self._refusing = None
        self.effects.clear()

    def _forget_cached(self) -> None:
        """Drop the cached conversations, visitors and identity rows (after a command moved
        identity)."""
        self.conversations.forget_cached()
        self.web.forget()
        self.identity.forget()

    def replay(self, records: Sequence[LogRecord]) -> None:
        """Apply the logged inputs of one unit again, in order, without logging them, at the
        time they were first applied (the unit's ``received_ms``), so that what depends on the
        time — which deadlines are still ahead — comes out as it did live. In-transaction
        subscribers see the unit's effects (what they write is a projection too); the effects go
        nowhere else: a replay announces nothing. Erased inputs (tombstones) are skipped."""
        records = [r for r in records if r.kind != ERASED_KIND]
        batch: list[Input] = []
        for record in records:
            try:
                batch.append(decode_logged(record))
            except (msgspec.DecodeError, msgspec.ValidationError, JourneylineError) as exc:
                raise JourneylineError(
                    f"the log entry {record.key} ({record.kind}, unit {record.unit}) cannot be "
                    f"read: {exc}"
                ) from exc
        if not records:
            return
        keys = {item.event.key for item in batch if not isinstance(item, Solo)}
        now = records[0].received_ms
        self.effects.clear()
        results = self._apply(batch, keys, now, log_commands=False)
        self._subscribers(now, records[0].unit)
        failed = [r for r in results if r.status == "failed"]
        if failed:
            raise failed[0].error or JourneylineError("a logged command failed on replay")
