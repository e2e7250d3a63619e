"""``journeyline migrate-store``: a store filled through the API, moved SQLite → PostgreSQL and
back, answers the same journeys, sessions and contacts on every backend, with its log, outbox,
clients and positions intact; a non-empty target is refused."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from starlette.testclient import TestClient

import pg
from builders import COOKIE, web_event
from conftest import SAMPLES, FakeClock, bearer, deployment, flows_api, make_client, send
from flow_receiver import Answer, running_receiver
from journeyline.api.app import create_app
from journeyline.cli import main
from journeyline.config import Settings
from journeyline.demo.load import load_demo
from journeyline.store import open_store
from journeyline.store.postgres import split_url

CONTACTS = "/api/v2/externalcontacts/contacts"


def fill(url: str, clock: FakeClock, receiver: str) -> None:
    """The demo day, its call-back flow posting to ``receiver`` (which answers 500: the
    deliveries stay pending), then more through the API: the sample call, a web visit on a
    deployment of its own, a contact created by hand."""
    store = open_store(url)
    try:
        load_demo(store, clock=clock, conversations=16, base_url=receiver)
    finally:
        store.close()
    with flows_api(url, clock, flows_allow_private=True) as api:
        events = json.loads((SAMPLES / "inbound-call-answered.jsonl.json").read_text())
        assert api.post("/api/v2/journey/conversationevents", events).status_code == 202
        shop = deployment(api)
        for n, name in enumerate(("page_viewed", "searched", "page_viewed")):
            event = web_event(COOKIE, n * 10, name=name, now_ms=clock.now_ms - 60_000)
            assert send(api, shop["id"], event).status_code == 200
        made = api.post(CONTACTS, {"firstName": "Ada", "lastName": "Lovelace"})
        assert made.status_code == 200, made.text


def answers(url: str, clock: FakeClock, credentials: tuple[str, str]) -> dict[str, Any]:
    """What a server on ``url`` answers about every session and contact (with the source's
    own client: its secret's hash was copied)."""
    settings = Settings(store_url=url, flows_allow_private=True)
    with TestClient(create_app(settings, clock=clock)) as client:
        headers = bearer(client, credentials)

        def get(path: str) -> Any:
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text)
            return answer.json()

        sessions = get("/api/v2/journey/sessions?pageSize=200")["entities"]
        contacts = get(f"{CONTACTS}?pageSize=200")["entities"]
        return {
            "sessions": sessions,
            "events": {
                s["id"]: get(f"/api/v2/journey/sessions/{s['id']}/events?pageSize=200")
                for s in sessions
            },
            "contacts": contacts,
            "journeys": {
                c["id"]: get(f"{CONTACTS}/{c['id']}/journey/sessions?pageSize=200")
                for c in contacts
            },
        }


def migrate(source: str, target: str) -> dict[str, Any]:
    return {"code": main(["migrate-store", "--from", source, "--to", target, "--batch", "7"])}


def test_a_store_moves_to_postgresql_and_back_and_answers_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()  # never moves: no deadline comes due, no retry either
    source = f"sqlite:///{tmp_path / 'source.db'}"
    back = f"sqlite:///{tmp_path / 'back.db'}"
    with running_receiver() as receiver:
        receiver.default = Answer(500)
        fill(source, clock, receiver.url.removesuffix("/hook"))
    credentials = make_client(source)
    before = answers(source, clock, credentials)
    assert len(before["sessions"]) > 10
    assert len(before["contacts"]) > 5
    store = open_store(source)
    try:
        pending = store.outbox_counts()["pending"]
        logged = [r.key for r in store.iter_all_log()]
    finally:
        store.close()
    assert pending >= 1  # the demo's call-back flow has deliveries still to make

    with pg.fresh_url() as target:
        capsys.readouterr()
        assert migrate(source, target) == {"code": 0}  # --batch 7: many batches per table
        report = json.loads(capsys.readouterr().out)
        assert (report["countsEqual"], report["projectionsEqual"], report["rebuildEqual"]) == (
            True,
            True,
            True,
        )
        assert report["rows"]["event_log"] == len(logged)
        assert report["rows"]["outbox"] >= pending

        moved = open_store(target)
        try:
            assert [r.key for r in moved.iter_all_log()] == logged  # in arrival order
            assert moved.outbox_counts()["pending"] == pending
            assert moved.last_unit() > 0
        finally:
            moved.close()
        assert answers(target, clock, credentials) == before
        largest = max_ids(target)
        following = next_ids(target)  # past the copied rows (the check's replay, rolled
        assert all(following[t] > largest[t] for t in IDENTITIES)  # back, may use some up)
        assert following["event_log"] == largest["event_log"] + 1

        assert migrate(source, target) == {"code": 2}  # not empty now: refused
        assert "not empty" in capsys.readouterr().err

        assert migrate(target, back) == {"code": 0}
    assert answers(back, clock, credentials) == before
    store = open_store(back)
    try:
        assert [r.key for r in store.iter_all_log()] == logged
    finally:
        store.close()


IDENTITIES = ("event_log", "audits", "effect_log")


def max_ids(url: str) -> dict[str, int]:
    return _per_table(url, 'SELECT coalesce(max(seq), 0) FROM "{schema}".{table}')


def next_ids(url: str) -> dict[str, int]:
    """The seq the next row of each identity table gets (a number used up: harmless)."""
    return _per_table(url, "SELECT nextval(pg_get_serial_sequence('\"{schema}\".{table}', 'seq'))")


def _per_table(url: str, query: str) -> dict[str, int]:
    conninfo, schema = split_url(url)
    found: dict[str, int] = {}
    with psycopg.connect(conninfo) as conn:
        for table in IDENTITIES:
            row = conn.execute(query.format(schema=schema, table=table)).fetchone()
            assert row is not None
            found[table] = int(row[0])
    return found


def spoiled_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: str
) -> tuple[dict[str, Any], str]:
    """A filled SQLite source changed by ``statement`` behind the engine's back, copied: the
    report and stderr of a command that must exit 1."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    with running_receiver() as receiver:
        fill(source, FakeClock(), receiver.url.removesuffix("/hook"))
    with closing(sqlite3.connect(tmp_path / "source.db")) as db:
        db.execute(statement)
        db.commit()
    capsys.readouterr()
    assert migrate(source, f"sqlite:///{tmp_path / 'target.db'}") == {"code": 1}
    out, err = capsys.readouterr()
    return json.loads(out), err


def test_a_copy_whose_projections_a_rebuild_does_not_give_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check is real: a source whose projections were changed behind the log's back
    copies, and the command says the rebuild differs (exit 1)."""
    report, err = spoiled_copy(
        tmp_path,
        capsys,
        "DELETE FROM session_events WHERE rowid IN (SELECT min(rowid) FROM session_events)",
    )
    assert (report["countsEqual"], report["projectionsEqual"], report["rebuildEqual"]) == (
        True,
        True,
        False,
    )
    assert "a rebuild from the copied log differs" in err


def test_a_source_that_is_not_there_is_refused_and_not_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --from (a file or a PostgreSQL schema that does not exist) is not opened —
    opening makes an empty store — and copied as nothing with exit 0: it is refused (exit 2),
    and neither it nor the target is made."""
    missing = tmp_path / "typo.db"
    target = tmp_path / "target.db"
    capsys.readouterr()
    assert migrate(f"sqlite:///{missing}", f"sqlite:///{target}") == {"code": 2}
    assert "there is no store at" in capsys.readouterr().err
    assert not missing.exists()
    assert not target.exists()

    schema = f"t_{uuid.uuid4().hex[:12]}_absent"
    source = f"{pg.SERVER}{'&' if '?' in pg.SERVER else '?'}schema={schema}"
    assert migrate(source, f"sqlite:///{target}") == {"code": 2}
    assert "there is no store at" in capsys.readouterr().err
    with psycopg.connect(pg.SERVER) as conn:
        made = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        assert made.fetchone() is None
    assert not target.exists()


def test_a_copy_whose_log_a_rebuild_cannot_replay_is_reported_as_copied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check failing is not the copy being refused: a log with a command twice (a second
    copy under another key, behind the log's back) is copied, and the command says a rebuild
    from it failed (exit 1, with the report), not exit 2 with only the replay's error."""
    report, err = spoiled_copy(
        tmp_path,
        capsys,
        "INSERT INTO event_log (key, kind, partition_key, received_ms, body, unit)"
        " SELECT key || '-again', kind, partition_key, received_ms, body,"
        " (SELECT max(unit) + 1 FROM event_log) FROM event_log WHERE seq = 1",
    )
    assert (report["countsEqual"], report["rebuildEqual"]) == (True, False)
    assert "a rebuild from the copied log failed: " in err


def test_a_password_in_a_store_url_is_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report and the refusals name the stores with their passwords masked."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    open_store(source).close()
    with closing(sqlite3.connect(tmp_path / "source.db")) as db:
        db.execute("INSERT INTO server_secrets VALUES ('x', 'y', 0)")
        db.commit()
    with pg.fresh_url() as target:
        parts = urlsplit(target)  # the test server's trust auth takes any password
        host = parts.netloc.rsplit("@", 1)[-1]
        secret = urlunsplit(parts._replace(netloc=f"{parts.username}:hunter2secret@{host}"))
        capsys.readouterr()
        assert migrate(source, secret) == {"code": 0}
        out, err = capsys.readouterr()
        assert json.loads(out)["to"] == secret.replace("hunter2secret", "***")
        assert migrate(source, secret) == {"code": 2}  # not empty now
        assert migrate(f"sqlite:///{tmp_path / 'typo.db'}", secret) == {"code": 2}
        more, refused = capsys.readouterr()
    assert "not empty" in refused
    assert "there is no store" in refused
    assert "hunter2secret" not in out + err + more + refused
