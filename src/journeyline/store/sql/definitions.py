"""Segments, outcomes, action maps and action templates (``definitions``), and what
evaluating them decided: criteria progress, segment assignments, outcome achievements and
journey actions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from journeyline.store.records import (
    Achievement,
    Assignment,
    JourneyAction,
    Page,
    RuleEventRow,
    StoredDefinition,
)
from journeyline.store.sql.query import (
    Db,
    chunks,
    like_pattern,
    marks,
    time_page,
    upsert,
    where_in,
)

_DEFINITION = "kind, id, version, display_name, is_active, created_ms, modified_ms, doc"
_ASSIGNMENT = (
    "segment_id, scope, session_id, contact_id, assigned_ms, modified_ms, unassign_ms, state"
)
_ACTION = (
    "id, action_map_id, action_map_version, session_id, contact_id, media_type, state,"
    " created_ms, modified_ms, doc"
)

#: What a definitions listing may be sorted by, and the column it means.
SORTS = {
    "displayName": "lower(display_name)",
    "createdDate": "created_ms",
    "modifiedDate": "modified_ms",
}


def _definition(row: tuple[Any, ...]) -> StoredDefinition:
    kind, id_, version, name, active, created, modified, doc = row
    return StoredDefinition(kind, id_, version, name, bool(active), created, modified, bytes(doc))


def _action(row: tuple[Any, ...]) -> JourneyAction:
    id_, map_id, version, session_id, contact_id, media_type, state, created, modified, doc = row
    return JourneyAction(
        id_,
        map_id,
        version,
        session_id,
        contact_id,
        media_type,
        state,
        created,
        modified,
        bytes(doc),
    )


def rule_rows(
    db: Db,
) -> tuple[list[Assignment], list[Achievement], list[JourneyAction], list[RuleEventRow]]:
    """Everything evaluating definitions decided, for the replay oracle (``snapshot``)."""
    assignments = [
        Assignment(*r) for r in db.execute(f"SELECT {_ASSIGNMENT} FROM segment_assignments")
    ]
    achievements = [
        Achievement(*r)
        for r in db.execute(
            "SELECT outcome_id, session_id, contact_id, achieved_ms, value"
            " FROM outcome_achievements"
        )
    ]
    actions = [_action(r) for r in db.execute(f"SELECT {_ACTION} FROM journey_actions")]
    events = [
        RuleEventRow(i, s, c, t, bytes(d))
        for i, s, c, t, d in db.execute(
            "SELECT id, session_id, created_ms, event_type, doc FROM rule_events"
        )
    ]
    return assignments, achievements, actions, events


class DefinitionsMixin:
    _db: Db

    def definition_put(self, definition: StoredDefinition) -> None:
        d = definition
        self._db.execute(
            upsert("definitions", _DEFINITION, key="kind, id"),
            (
                d.kind,
                d.id,
                d.version,
                d.display_name,
                int(d.is_active),
                d.created_ms,
                d.modified_ms,
                d.doc,
            ),
        )

    def definition_get(self, kind: str, definition_id: str) -> StoredDefinition | None:
        row = self._db.execute(
            f"SELECT {_DEFINITION} FROM definitions WHERE kind = ? AND id = ?",
            (kind, definition_id),
        ).fetchone()
        return _definition(row) if row else None

    def definition_delete(self, kind: str, definition_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM definitions WHERE kind = ? AND id = ?", (kind, definition_id)
        )
        return cursor.rowcount > 0

    def definitions(self, kind: str) -> list[StoredDefinition]:
        rows = self._db.execute(
            f"SELECT {_DEFINITION} FROM definitions WHERE kind = ? ORDER BY id", (kind,)
        )
        return [_definition(r) for r in rows]

    def definitions_page(
        self,
        kind: str,
        *,
        page_number: int,
        page_size: int,
        sort_by: str = "displayName",
        descending: bool = False,
        is_active: bool | None = None,
        name_contains: str | None = None,
    ) -> tuple[list[StoredDefinition], int]:
        where: list[str] = ["kind = ?"]
        args: list[object] = [kind]
        if is_active is not None:
            where.append("is_active = ?")
            args.append(int(is_active))
        if name_contains:
            where.append("lower(display_name) LIKE ? ESCAPE '\\'")
            args.append(f"%{like_pattern(name_contains.lower())}%")
        clause = " AND ".join(where)
        (total,) = self._db.execute(
            f"SELECT count(*) FROM definitions WHERE {clause}", args
        ).fetchone()
        order = f"{SORTS[sort_by]} {'DESC' if descending else 'ASC'}, id"
        rows = self._db.execute(
            f"SELECT {_DEFINITION} FROM definitions WHERE {clause} ORDER BY {order}"
            " LIMIT ? OFFSET ?",
            [*args, page_size, (page_number - 1) * page_size],
        )
        return [_definition(r) for r in rows], int(total)

    # -- evaluation state -----------------------------------------------------------------

    def progress_get(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """One query per scope (an event's keys share one or two: its session, its contact),
        on the primary key."""
        wanted = set(keys)
        by_scope: dict[str, list[str]] = {}
        for definition_id, scope in wanted:
            by_scope.setdefault(scope, []).append(definition_id)
        found: dict[tuple[str, str], bytes] = {}
        for scope, ids in by_scope.items():
            for part in chunks(ids):
                rows = self._db.execute(
                    "SELECT definition_id, state FROM criteria_progress"
                    f" WHERE scope = ? AND definition_id IN ({marks(part)})",
                    [scope, *part],
                )
                found.update({(d, scope): bytes(state) for d, state in rows})
        return found

    def progress_put(self, states: Sequence[tuple[str, str, bytes]]) -> None:
        self._db.executemany(
            upsert("criteria_progress", "definition_id, scope, state", key="definition_id, scope"),
            states,
        )

    def assignment_put(self, assignment: Assignment) -> None:
        a = assignment
        self._db.execute(
            upsert("segment_assignments", _ASSIGNMENT, key="segment_id, scope"),
            (
                a.segment_id,
                a.scope,
                a.session_id,
                a.contact_id,
                a.assigned_ms,
                a.modified_ms,
                a.unassign_ms,
                a.state,
            ),
        )

    def assignment_get(self, segment_id: str, scope: str) -> Assignment | None:
        row = self._db.execute(
            f"SELECT {_ASSIGNMENT} FROM segment_assignments WHERE segment_id = ? AND scope = ?",
            (segment_id, scope),
        ).fetchone()
        return Assignment(*row) if row else None

    def assignments_of(
        self, *, session_id: str | None = None, contact_ids: Sequence[str] = ()
    ) -> list[Assignment]:
        """Assignments made on a session, or held by any of the contacts, oldest first."""
        if session_id is not None:
            rows = self._db.execute(
                f"SELECT {_ASSIGNMENT} FROM segment_assignments WHERE session_id = ?"
                " ORDER BY assigned_ms, segment_id",
                (session_id,),
            )
        else:
            rows = self._db.execute(
                f"SELECT {_ASSIGNMENT} FROM segment_assignments"
                f" WHERE contact_id IN ({marks(contact_ids)})"
                " ORDER BY assigned_ms, segment_id",
                list(contact_ids),
            )
        return [Assignment(*r) for r in rows]

    def achievement_put(self, achievement: Achievement) -> bool:
        """Record an achievement; False when the outcome was achieved on that session before."""
        a = achievement
        cursor = self._db.execute(
            "INSERT INTO outcome_achievements"
            " (outcome_id, session_id, contact_id, achieved_ms, value) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (outcome_id, session_id) DO NOTHING",
            (a.outcome_id, a.session_id, a.contact_id, a.achieved_ms, a.value),
        )
        return cursor.rowcount > 0

    def assignments_on(self, session_ids: Collection[str]) -> dict[str, list[Assignment]]:
        """The assignments made on each of the sessions (as ``assignments_of``), oldest first;
        sessions with none are left out."""
        found: dict[str, list[Assignment]] = {}
        for chunk in chunks(session_ids):
            rows = self._db.execute(
                f"SELECT {_ASSIGNMENT} FROM segment_assignments"
                f" WHERE session_id IN ({marks(chunk)}) ORDER BY assigned_ms, segment_id",
                chunk,
            )
            for r in rows:
                a = Assignment(*r)
                found.setdefault(a.session_id, []).append(a)
        return found

    def achievements_on(self, session_ids: Collection[str]) -> dict[str, list[Achievement]]:
        """The achievements on each of the sessions (as ``achievements_of``), oldest first;
        sessions with none are left out."""
        found: dict[str, list[Achievement]] = {}
        for chunk in chunks(session_ids):
            rows = self._db.execute(
                "SELECT outcome_id, session_id, contact_id, achieved_ms, value"
                f" FROM outcome_achievements WHERE session_id IN ({marks(chunk)})"
                " ORDER BY achieved_ms, outcome_id",
                chunk,
            )
            for r in rows:
                found.setdefault(r[1], []).append(Achievement(*r))
        return found

    def achievements_of(self, session_id: str) -> list[Achievement]:
        rows = self._db.execute(
            "SELECT outcome_id, session_id, contact_id, achieved_ms, value"
            " FROM outcome_achievements WHERE session_id = ? ORDER BY achieved_ms, outcome_id",
            (session_id,),
        )
        return [Achievement(*r) for r in rows]

    def action_put(self, action: JourneyAction) -> None:
        a = action
        self._db.execute(
            upsert("journey_actions", _ACTION, key="id"),
            (
                a.id,
                a.action_map_id,
                a.action_map_version,
                a.session_id,
                a.contact_id,
                a.media_type,
                a.state,
                a.created_ms,
                a.modified_ms,
                a.doc,
            ),
        )

    def action_get(self, action_id: str) -> JourneyAction | None:
        row = self._db.execute(
            f"SELECT {_ACTION} FROM journey_actions WHERE id = ?", (action_id,)
        ).fetchone()
        return _action(row) if row else None

    def customer_actions(
        self,
        customer_id: str,
        *,
        session_type: str,
        states: Collection[str],
        media_types: Collection[str],
        active_since_ms: int,
    ) -> list[JourneyAction]:
        wanted, media = sorted(states), sorted(media_types)
        if not wanted or not media:
            return []
        columns = ", ".join(f"a.{c.strip()}" for c in _ACTION.split(","))
        rows = self._db.execute(
            f"SELECT {columns} FROM sessions s JOIN journey_actions a ON a.session_id = s.id"
            " WHERE s.customer_id = ? AND s.type = ? AND s.last_event_ms >= ?"
            f" AND a.state IN ({marks(wanted)}) AND a.media_type IN ({marks(media)})"
            " ORDER BY a.created_ms, a.id",
            [customer_id, session_type, active_since_ms, *wanted, *media],
        )
        return [_action(r) for r in rows]

    def actions_of(self, session_id: str, action_map_id: str | None = None) -> list[JourneyAction]:
        if action_map_id is None:
            rows = self._db.execute(
                f"SELECT {_ACTION} FROM journey_actions WHERE session_id = ?"
                " ORDER BY created_ms, id",
                (session_id,),
            )
        else:
            rows = self._db.execute(
                f"SELECT {_ACTION} FROM journey_actions WHERE action_map_id = ? AND session_id = ?"
                " ORDER BY created_ms, id",
                (action_map_id, session_id),
            )
        return [_action(r) for r in rows]

    def actions_waiting(self, contact_id: str) -> list[JourneyAction]:
        rows = self._db.execute(
            f"SELECT {_ACTION} FROM journey_actions WHERE contact_id = ? AND state = 'waiting'"
            " ORDER BY created_ms, id",
            (contact_id,),
        )
        return [_action(r) for r in rows]

    def assignments_due(self, now_ms: int) -> list[Assignment]:
        rows = self._db.execute(
            f"SELECT {_ASSIGNMENT} FROM segment_assignments"
            " WHERE state = 'Assigned' AND unassign_ms <= ? ORDER BY unassign_ms, segment_id",
            (now_ms,),
        )
        return [Assignment(*r) for r in rows]

    def next_unassignment(self) -> int | None:
        (due,) = self._db.execute(
            "SELECT min(unassign_ms) FROM segment_assignments WHERE state = 'Assigned'"
        ).fetchone()
        return int(due) if due is not None else None

    # -- the journey events they add ------------------------------------------------------

    def journey_events_put(self, rows: Sequence[RuleEventRow]) -> None:
        self._db.executemany(
            upsert("rule_events", "id, session_id, created_ms, event_type, doc", key="id"),
            [(r.id, r.session_id, r.created_ms, r.event_type, r.doc) for r in rows],
        )

    def journey_events_page(
        self, session_id: str, *, after: str | None, page_size: int, types: Sequence[str]
    ) -> Page[RuleEventRow]:
        clause, args = where_in("event_type", types)
        rows, cursor = time_page(
            self._db,
            "SELECT session_id, event_type, doc, created_ms, id FROM rule_events"
            f" WHERE session_id = ?{clause}",
            [session_id, *args],
            after=after,
            page_size=page_size,
        )
        items = [RuleEventRow(i, s, c, t, bytes(d)) for s, t, d, c, i in rows]
        return Page(items, cursor)
