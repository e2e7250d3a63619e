"""One contact's journey read with a million stored sessions, and the server's memory meanwhile.

``journeyline serve`` on a fresh store (SQLite file or PostgreSQL schema, ``--store``). Through
the API, as for the desktop journey page (``bench.journey``): one caller (one phone number) with
:data:`TARGET` wrapped-up conversations, so one contact with 25 sessions — one API page. Then
the store is filled to ``sessions // 100``, ``sessions // 10`` and ``sessions`` stored sessions
(10k, 100k, 1M by default), and at each size the contact's journey is read ``requests`` times
through ``GET /api/v2/externalcontacts/contacts/{id}/journey/sessions?pageSize=25`` (an admin
token; the time from the request sent to the answer read, in this process) and through the
desktop journey page ``GET /desktop/people/{id}`` (signed in; its ``Server-Timing`` server time,
and the round trip); p50 and p99 of each, and the server process's resident memory (``VmRSS``)
after them.

**How the store is filled (fast, and what it leaves out).** The filler sessions are rows written
straight into the store's ``sessions`` table from this process while the server runs (SQLite:
``executemany`` in transactions of 10,000; PostgreSQL: ``COPY``), made from one of the caller's
real session rows: each a conversation session of its own (new session and conversation ids, a
customer phone of its own), ten sessions per filler contact, created at times spread over the
year before. Their documents are the real one's with those fields changed, so each is a session
the store decodes. They have no session events, no log rows and no contact rows: the read times
only the contact's sessions, which an index finds (``EXPLAIN`` of the store's query, on the
filled store, is reported and must name the ``sessions_contact`` index), and rebuilding a
generated log of a million sessions through the engine would take an hour here.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec

from journeyline.bench import journey, stores
from journeyline.bench.errors import BenchError
from journeyline.bench.http import live_server
from journeyline.bench.latency import percentile
from journeyline.bench.runs import Run

TARGET = 25  # the contact's sessions: one page of the API's listing
GOAL_MS = 20.0
MAX_SESSIONS = 10_000_000
CHUNK = 10_000  # filler rows per transaction
PER_CONTACT = 10  # filler sessions per filler contact
YEAR_MS = 365 * 24 * 3600 * 1000
FILLER = uuid.UUID("0b6d3f8e-5c1a-4f7e-9d2b-7a4e1c9f3b21")
INDEX = "sessions_contact"
#: The store's query of a contact's journey (``SqlStore.recent_sessions`` with one contact).
JOURNEY_SQL = (
    "SELECT type, doc, created_ms, id FROM sessions WHERE 1 = 1 AND external_contact_id IN ({})"
    " ORDER BY created_ms DESC, id DESC LIMIT {}"
)
COLUMNS = (
    "id, type, conversation_id, customer_id, customer_id_type, external_contact_id,"
    " created_ms, ended_ms, doc, contact_verified, last_event_ms"
)


def stages(sessions: int) -> list[int]:
    """The store sizes measured: a hundredth, a tenth and all of ``sessions`` (each at least
    the contact's own)."""
    return sorted({max(TARGET, sessions // 100), max(TARGET, sessions // 10), sessions})


def _template(url: str, contact_id: str) -> dict[str, Any]:
    with stores.connection(url) as db:
        row = db.execute(
            "SELECT doc, created_ms FROM sessions WHERE external_contact_id = "
            + ("?" if url.startswith(stores.SQLITE) else "%s")
            + " LIMIT 1",
            (contact_id,),
        ).fetchone()
    if row is None:
        raise BenchError("the contact has no session to copy")
    doc: dict[str, Any] = json.loads(bytes(row[0]))
    return doc


def _rows(
    template: dict[str, Any], first: int, last: int, now_ms: int
) -> Iterator[tuple[Any, ...]]:
    """Filler sessions ``first`` to ``last - 1``, each a copy of ``template`` made its own."""
    span = template["ended_ms"] - template["created_ms"]
    for n in range(first, last):
        session_id = str(uuid.uuid5(FILLER, f"s{n}"))
        contact_id = str(uuid.uuid5(FILLER, f"c{n // PER_CONTACT}"))
        created = now_ms - YEAR_MS + (n * 7919) % YEAR_MS
        phone = f"+1555{n // PER_CONTACT:07d}"
        last_event = dict(template["last_event"], id=str(uuid.uuid5(FILLER, f"e{n}")))
        last_event["session_id"] = session_id
        last_event["created_ms"] = created + span
        doc = dict(
            template,
            id=session_id,
            conversation_id=str(uuid.uuid5(FILLER, f"v{n}")),
            created_ms=created,
            ended_ms=created + span,
            latest_ms=created + span,
            customer_id=phone,
            last_event=last_event,
        )
        yield (
            session_id, "conversation", doc["conversation_id"], phone, "phone", contact_id,
            created, created + span, msgspec.json.encode(doc), 1, created + span,
        )  # fmt: skip


def fill(url: str, template: dict[str, Any], first: int, last: int) -> float:
    """Filler sessions ``first`` to ``last - 1`` into the store at ``url``; the seconds taken."""
    now_ms = int(time.time() * 1000)
    started = time.perf_counter()
    with stores.connection(url) as db:
        for offset in range(first, last, CHUNK):
            rows = _rows(template, offset, min(last, offset + CHUNK), now_ms)
            if url.startswith(stores.SQLITE):
                db.execute("BEGIN IMMEDIATE")
                marks = ", ".join("?" * 11)
                db.executemany(f"INSERT INTO sessions ({COLUMNS}) VALUES ({marks})", rows)
                db.execute("COMMIT")
            else:
                copying = f"COPY sessions ({COLUMNS}) FROM STDIN"
                with db.transaction(), db.cursor() as cursor, cursor.copy(copying) as copy:
                    for row in rows:
                        copy.write_row(row)
        if not url.startswith(stores.SQLITE):
            db.execute("ANALYZE sessions")  # as autovacuum would soon after such a load
    return time.perf_counter() - started


def explain(url: str, contact_id: str) -> str:
    """The plan of the store's journey query on the store at ``url``, on one line."""
    with stores.connection(url) as db:
        if url.startswith(stores.SQLITE):
            rows = db.execute(
                "EXPLAIN QUERY PLAN " + JOURNEY_SQL.format("?", "?"), (contact_id, TARGET + 1)
            ).fetchall()
            return "; ".join(str(row[-1]) for row in rows)
        rows = db.execute(
            "EXPLAIN " + JOURNEY_SQL.format("%s", "%s"), (contact_id, TARGET + 1)
        ).fetchall()
        return "; ".join(str(row[0]).strip() for row in rows)


def rss_kib(pid: int) -> int:
    """The resident memory of process ``pid`` (``VmRSS`` of ``/proc/PID/status``), KiB."""
    found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    if found is None:
        raise BenchError(f"no VmRSS for process {pid}")
    return int(found.group(1))


def _timed(
    client: httpx.Client, path: str, requests: int, check: Any
) -> tuple[list[float], list[float]]:
    """``requests`` GETs of ``path``: (round trips, server times from Server-Timing), ms."""
    trips: list[float] = []
    server: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        trips.append((time.perf_counter() - started) * 1000)
        check(answer)
        timing = journey._TIMING.search(answer.headers.get("server-timing", ""))
        if timing is not None:
            server.append(float(timing.group(1)))
    return trips, server


def _p(values: list[float], prefix: str) -> dict[str, float]:
    ordered = sorted(values)
    return {
        f"{prefix}_p50_ms": round(percentile(ordered, 0.5), 2),
        f"{prefix}_p99_ms": round(percentile(ordered, 0.99), 2),
    }


def million_run(
    workdir: Path, backend: stores.Backend, *, sessions: int, requests: int, timeout: float
) -> Run:
    """The journey read at each store size of :func:`stages` (module docstring). The Run's
    events are the GETs timed; its details the figures at each size (``<size>_...``) and at
    the largest (``api_p99_ms``, ``page_p99_ms``, ``rss_growth_pct``...)."""
    if not TARGET <= sessions <= MAX_SESSIONS:
        raise BenchError(f"--million-sessions must be 0 or between {TARGET} and {MAX_SESSIONS:,}")
    if not 1 <= requests <= 10_000:
        raise BenchError("--million-requests must be between 1 and 10,000")
    details: dict[str, Any] = {"sessions": sessions, "contact_sessions": TARGET}
    pid: list[int] = []
    timed = 0
    seconds = 0.0
    with (
        backend.fresh(workdir, "million") as url,
        live_server(workdir, timeout, url=url, pid=pid) as (port, token),
    ):
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            contact_id = journey._load(api, TARGET)
            desk = journey._sign_in(base_url, token)
            try:
                template = _template(url, contact_id)
                api_path = f"/api/v2/externalcontacts/contacts/{contact_id}/journey/sessions"
                api_path += f"?pageSize={TARGET}"
                page_path = f"/desktop/people/{contact_id}"

                def check_api(answer: httpx.Response) -> None:
                    journey._check(answer, f"GET {api_path}")
                    if len(answer.json()["entities"]) != TARGET:
                        raise BenchError(f"GET {api_path} did not list the {TARGET} sessions")

                def check_page(answer: httpx.Response) -> None:
                    journey._check(answer, f"GET {page_path}")

                shown = desk.get(page_path).text.count('<article class="card')
                if shown != TARGET:
                    raise BenchError(f"the journey page shows {shown} cards, not {TARGET}")
                stored = TARGET
                for size in stages(sessions):
                    details[f"{size}_fill_s"] = round(fill(url, template, stored, size), 1)
                    stored = size
                    _timed(api, api_path, 5, check_api)  # warm, as a server in use is
                    started = time.perf_counter()
                    trips, _ = _timed(api, api_path, requests, check_api)
                    page_trips, page_server = _timed(desk, page_path, requests, check_page)
                    seconds += time.perf_counter() - started
                    timed += 2 * requests
                    details |= {f"{size}_{k}": v for k, v in _p(trips, "api").items()}
                    details |= {f"{size}_{k}": v for k, v in _p(page_server, "page").items()}
                    details |= {f"{size}_{k}": v for k, v in _p(page_trips, "page_trip").items()}
                    details[f"{size}_rss_kib"] = rss_kib(pid[0])
            finally:
                desk.close()
        stored_now = stores.count(url, "SELECT count(*) FROM sessions")
        details["plan"] = explain(url, contact_id)
    if stored_now != sessions:
        raise BenchError(f"the store holds {stored_now:,} sessions, not {sessions:,}")
    sizes = stages(sessions)
    first, last = sizes[0], sizes[-1]
    details["stages"] = sizes
    details["index_used"] = INDEX in details["plan"]
    for key in ("api_p50_ms", "api_p99_ms", "page_p50_ms", "page_p99_ms", "rss_kib"):
        details[key] = details[f"{last}_{key}"]
    details["rss_growth_pct"] = round(
        100.0
        * (details[f"{last}_rss_kib"] - details[f"{first}_rss_kib"])
        / details[f"{first}_rss_kib"],
        1,
    )
    return Run(timed, seconds, details)


#: Memory is "flat" when the server grew by less than this share from the smallest store to the
#: largest.
FLAT_PCT = 10.0


def passed(run: Run) -> bool:
    d = run.details
    return (
        d["api_p99_ms"] < GOAL_MS
        and d["page_p99_ms"] < GOAL_MS
        and d["rss_growth_pct"] < FLAT_PCT
        and bool(d["index_used"])
    )
