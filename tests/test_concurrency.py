"""Several servers on one PostgreSQL store, racing on the same customers, lose nothing and
never make two of anything: by the store's write lock (``store/postgres/connection.py``) and the
engine noticing another writer (``engine/unit.py``), not by luck.

Three real ``journeyline serve`` processes share one schema. Six clients send the events of
thirty calls from five phone numbers, one event per request, each to a server picked at
random, so that the events of one call reach different servers, in any order, at once.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

import pg
from builders import answered
from conftest import bearer, free_port, make_client, wait_healthy
from journeyline.clock import system_clock
from journeyline.engine.replay import rebuild
from journeyline.store import open_store

PHONES = [f"+1555010{n:04d}" for n in range(5)]
CALLS = 30
SERVERS = 3
CLIENTS = 6


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg.fresh_url() as url:
        yield url


def _server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "journeyline.cli", "serve", "--store", url]
    command += ["--port", str(port), "--log-level", "critical"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def test_servers_racing_on_one_postgresql_store_make_one_of_everything(pg_url: str) -> None:
    credentials = make_client(pg_url, "ingest")
    events = [
        event
        for n in range(CALLS)
        for event in answered(f"race-{n:02}", ani=f"tel:{PHONES[n % len(PHONES)]}").wire
    ]
    random.Random(7).shuffle(events)  # the events of a call arrive in any order
    answers: list[int] = []
    lock = threading.Lock()

    with ExitStack() as stack:
        bases = []
        for _ in range(SERVERS):
            process, base = _server(pg_url)
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
            wait_healthy(base, process)
            bases.append(base)
        with httpx.Client(base_url=bases[0]) as http:
            headers = bearer(http, credentials)  # a token of the shared store: good on any node

        def send(worker: int) -> None:
            pick = random.Random(worker)
            clients = [httpx.Client(base_url=b, headers=headers, timeout=30) for b in bases]
            try:
                for event in events[worker::CLIENTS]:
                    answer = pick.choice(clients).post(
                        "/api/v2/journey/conversationevents", json=[event]
                    )
                    with lock:
                        answers.append(answer.status_code)
            finally:
                for client in clients:
                    client.close()

        threads = [threading.Thread(target=send, args=(w,)) for w in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert answers == [202] * len(events)  # every event accepted, by whichever server
    store = open_store(pg_url)
    try:
        assert store.log_count() == len(events)  # nothing acknowledged is lost
        contacts_by_phone: dict[str, set[str | None]] = defaultdict(set)
        for n in range(CALLS):
            sessions = store.sessions_for_conversation(f"race-{n:02}")
            assert len(sessions) == 1, f"race-{n:02} has {len(sessions)} sessions"
            link = store.session_link(sessions[0].id)
            assert link is not None
            contacts_by_phone[PHONES[n % len(PHONES)]].add(link[0])
        for phone, contacts in contacts_by_phone.items():
            (contact_id,) = contacts  # one contact for the phone's calls, all of them
            assert contact_id is not None, phone
            identifier = store.identifier_get("Phone", phone)
            assert identifier is not None
            assert identifier.contact_id == contact_id
        assert len({c for cs in contacts_by_phone.values() for c in cs}) == len(PHONES)
        live = store.snapshot()
        rebuild(store, system_clock)  # one process replaying the log makes the same projections
        assert store.snapshot() == live
    finally:
        store.close()
