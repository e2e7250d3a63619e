"""The store's promises, one suite run against every backend (a fresh real database per test).

A backend is a URL template in ``URLS``; the error-translation tests break its database behind
its back with ``sabotage.drop_tables``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec
import pytest

import pg
import sabotage
from conftest import migrated_sqlite
from journeyline.core.websession import web_event_id
from journeyline.model.contact import Contact, Deployment, Identifier
from journeyline.model.effects import Cursor, Envelope, SessionRemoved
from journeyline.model.errors import InvalidInput, JourneylineError, StoreError
from journeyline.model.flows import Delivery, Flow
from journeyline.model.session import Channel, ConversationSession, SessionEvent
from journeyline.model.web import Page as WebPage
from journeyline.model.web import WebEvent, WebSession
from journeyline.store import open_store
from journeyline.store.base import (
    ERASED_KIND,
    Account,
    Achievement,
    Assignment,
    Audit,
    ConversationWrite,
    DesktopSession,
    DirectoryEntry,
    JourneyAction,
    LogRecord,
    OAuthClient,
    Page,
    RuleEventRow,
    SessionLink,
    Snapshot,
    Store,
    StoredDefinition,
    StoredWebEvent,
    WebSessionWrite,
    methods_of,
)
from journeyline.store.codec import make_cursor
from journeyline.store.sqlite import path_of

T0 = 1_795_600_000_000

#: One URL template per backend; ``{tmp}`` is the test's own temporary directory,
#: ``{postgresql}`` a fresh schema of the test server (``tests/pg.py``).
URLS = ["sqlite:///{tmp}/contract.db", "{postgresql}"]


@pytest.fixture(params=URLS, ids=lambda template: template.split(":", 1)[0].strip("{}"))
def url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    template: str = request.param
    if template == "{postgresql}":
        with pg.fresh_url() as fresh:
            yield fresh
    else:  # a new, migrated file (conftest.migrated_sqlite)
        url = template.format(tmp=tmp_path)
        yield migrated_sqlite(sqlite_template, path_of(url))


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = open_store(url)
    yield opened
    opened.close()


class Boom(Exception):
    """The caller's own failure inside a unit of work."""


# -- records --------------------------------------------------------------------------------


def record(key: str, *, partition: str = "p", kind: str = "test", unit: int = 1) -> LogRecord:
    return LogRecord(key, kind, partition, T0, f'{{"key": "{key}"}}'.encode(), unit)


def conversation(
    n: int, created_ms: int = T0, *, latest_ms: int | None = None, customer: str = "+15550001"
) -> ConversationSession:
    return ConversationSession(
        id=f"s{n:02}",
        conversation_id=f"conv-{n:02}",
        created_ms=created_ms,
        ended_ms=None,
        latest_ms=created_ms if latest_ms is None else latest_ms,
        originating_direction="Inbound",
        channels=(Channel("Voice", platform="Edge"),),
        media_type="voice",
        start_trigger="InboundCall",
        subject=None,
        customer_id=customer,
        customer_id_type="phone",
        external_contact_id=None,
        journey_context=None,
        last_queue_id="q1",
        last_user_id=None,
        last_disposition=None,
        last_user_disconnect_type=None,
        last_acd_outcome=None,
        ended_by=None,
        phase="waiting",
        agent_connected=False,
        customer_connected=True,
        queued=True,
        voicemail=False,
        last_agent_end_ms=None,
        wait_ms=0,
        talk_ms=0,
        event_count=0,
    )


def journey_event(session: str, n: int, created_ms: int, name: str = "routed") -> SessionEvent:
    return SessionEvent(f"{session}-e{n:02}", session, name, created_ms, {"queue.id": "q1"})


def web_session(
    n: int, created_ms: int = T0, *, last_ms: int | None = None, cookie: str = "cookie-1"
) -> WebSession:
    return WebSession(
        id=f"s{n:02}",
        type="web",
        customer_cookie_id=cookie,
        deployment_id="d1",
        created_ms=created_ms,
        last_event_ms=created_ms if last_ms is None else last_ms,
        event_count=1,
        pageview_count=1,
        screenview_count=0,
        visit_count=1,
        last_page=WebPage(url="https://shop.example.com/", title="Shop"),
        last_screen=None,
        search_terms=(),
        referrer=None,
        campaign=None,
        browser=None,
        device=None,
        geolocation=None,
        ip_address=None,
        user_agent=None,
        authenticated=False,
        last_event_id="",
        last_event_name="page_viewed",
    )


def web_event(key: str, created_ms: int, *, cookie: str = "cookie-1") -> WebEvent:
    return WebEvent(
        key, "d1", cookie, "page_viewed", created_ms, page=WebPage(url="https://x.example/")
    )


def save_conversation(store: Store, session: ConversationSession, *events: SessionEvent) -> None:
    store.save_conversations([ConversationWrite(session, events, (), replace_all=False)])


def save_web(
    store: Store,
    session: WebSession,
    *events: WebEvent,
    contact: str | None = None,
    verified: bool = False,
) -> None:
    """As the engine saves them: the events are logged first (their bodies are the log's)."""
    store.append([web_record(e) for e in events])
    store.save_web_sessions([WebSessionWrite(session, events, contact, verified, replace=False)])


def web_record(event: WebEvent) -> LogRecord:
    return LogRecord(
        event.key, "web.event", event.customer_cookie_id, T0, msgspec.json.encode(event), 1
    )


def contact(contact_id: str, created_ms: int = T0, **fields: Any) -> Contact:
    return Contact(contact_id, "Curated", created_ms, created_ms, created_ms, **fields)


def account(user_id: str, *, email: str = "a@example.com", **fields: Any) -> Account:
    values: dict[str, Any] = {"password_hash": "$argon2id$x", "role": "agent"} | fields
    return Account(user_id, email, created_ms=T0, modified_ms=T0, **values)


def desktop_session(
    token_hash: str, user_id: str, *, expires_ms: int = T0 + 60_000
) -> DesktopSession:
    return DesktopSession(token_hash, user_id, f"csrf-{token_hash}", T0, expires_ms, T0)


def session_of_new_account(store: Store, token_hash: str) -> None:
    store.account_put(account("u2", email="b@example.com"))
    store.desktop_session_put(desktop_session(token_hash, "u2"))


# -- the event log ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("batches", "new_keys", "stored"),
    [
        ([["a", "b"]], [{"a", "b"}], ["a", "b"]),
        ([["a"], ["a"]], [{"a"}, set()], ["a"]),
        ([["a", "b"], ["b", "c"]], [{"a", "b"}, {"c"}], ["a", "b", "c"]),
        ([["a", "a", "b", "a"]], [{"a", "b"}], ["a", "b"]),  # a duplicate in the same call
        ([[], ["a"], []], [set(), {"a"}, set()], ["a"]),
    ],
)
def test_append_is_idempotent_by_key(
    store: Store, batches: list[list[str]], new_keys: list[set[str]], stored: list[str]
) -> None:
    returned = []
    for batch in batches:
        with store.transaction():
            returned.append(store.append([record(key) for key in batch]))
    assert returned == new_keys
    assert [r.key for r in store.iter_all_log()] == stored
    assert store.log_count() == len(stored)


def test_the_log_tells_which_keys_it_holds(store: Store) -> None:
    assert store.logged_keys(["a"]) == set()
    with store.transaction():
        store.append([record("a"), record("b")])
    assert store.logged_keys(["b", "c", "a", "b"]) == {"a", "b"}
    assert store.logged_keys([]) == set()
    many = [f"k{n:04}" for n in range(1200)]  # past one IN (...) chunk
    with store.transaction():
        store.append([record(key) for key in many])
    assert store.logged_keys([*many, "nope"]) == set(many)


def test_the_first_body_of_a_key_stays(store: Store) -> None:
    with store.transaction():
        store.append([record("a")])
        assert store.append([replace(record("a"), body=b"{}")]) == set()
    assert store.log_for_partition("test", "p") == [b'{"key": "a"}']


def test_the_log_keeps_arrival_order_by_partition_and_kind(store: Store) -> None:
    assert (store.log_count(), store.last_unit()) == (0, 0)
    assert list(store.iter_all_log()) == []
    records = [
        record("z", partition="p1", unit=1),
        record("a", partition="p2", unit=1),
        record("m", partition="p1", kind="other", unit=2),
        record("b", partition="p1", unit=3),
    ]
    for one in records:
        with store.transaction():
            store.append([one])
    assert store.log_for_partition("test", "p1") == [records[0].body, records[3].body]
    assert store.log_for_partition("other", "p1") == [records[2].body]
    assert store.log_for_partition("test", "nowhere") == []
    assert list(store.iter_all_log()) == records
    assert store.last_unit() == 3
    assert store.log_count() == 4


# -- units of work ---------------------------------------------------------------------------

WRITES: dict[str, Callable[[Store], object]] = {
    "log": lambda s: s.append([record("k1")]),
    "conversation": lambda s: save_conversation(s, conversation(1), journey_event("s01", 1, T0)),
    "web": lambda s: save_web(s, web_session(2), web_event("w1", T0)),
    "contact": lambda s: s.contact_put(contact("c1")),
    "identifier": lambda s: s.identifier_put(Identifier("Email", "a@example.com", "c1", True, T0)),
    "audit": lambda s: s.audit_add(at_ms=T0, actor="a", action="merge", contact_id="c1", doc={}),
    "directory": lambda s: s.directory_put(DirectoryEntry("queue", "q1", "Sales", T0)),
    "deployment": lambda s: s.deployment_put(Deployment("d1", "Shop", "key-1")),
    "client": lambda s: s.client_put(OAuthClient("id", "hash", "n", "admin", T0)),
    "account": lambda s: s.account_put(account("u1")),
    "desktop_session": lambda s: session_of_new_account(s, "t1"),
    "flow": lambda s: s.flow_put(Flow("f1", "Hook", "https://example.com/h")),
    "outbox": lambda s: s.outbox_put(Delivery("msg_1", "f1", b"{}", T0, T0)),
}


def everything(store: Store) -> tuple[object, ...]:
    return (
        store.snapshot(),
        list(store.iter_all_log()),
        store.directory_list("queue", page_number=1, page_size=100, name=None),
        store.deployments(),
        store.client_get("id"),
        store.account_get("u1"),
        store.desktop_session_get("t1"),
        store.flows_page(page_number=1, page_size=100),
        store.outbox_get("msg_1"),
    )


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_transaction_is_all_or_nothing(store: Store, write: Callable[[Store], object]) -> None:
    empty = everything(store)
    with pytest.raises(Boom), store.transaction():  # noqa: PT012
        store.append([record("before")])
        write(store)
        raise Boom
    assert everything(store) == empty
    with store.transaction():  # and the store goes on working
        write(store)
    assert everything(store) != empty


def test_a_store_failure_inside_a_transaction_undoes_it_all(store: Store) -> None:
    with pytest.raises(StoreError) as caught, store.transaction():  # noqa: PT012
        store.append([record("a")])
        store.client_put(OAuthClient("id", "hash", "n", "admin", T0))
        store.client_put(OAuthClient("id", "hash", "n", "admin", T0))  # the same key again
    assert caught.value.__cause__ is not None
    assert (store.log_count(), store.client_get("id")) == (0, None)


def test_a_failed_savepoint_is_undone_alone(store: Store) -> None:
    with store.transaction():
        store.append([record("a")])
        with pytest.raises(Boom), store.savepoint():  # noqa: PT012
            store.append([record("b")])
            store.contact_put(contact("c1"))
            raise Boom
        store.append([record("c")])
        with store.savepoint():
            store.append([record("d")])
    assert [r.key for r in store.iter_all_log()] == ["a", "c", "d"]
    assert store.contact_get("c1") is None


def test_an_inner_savepoint_fails_and_the_outer_one_is_kept(store: Store) -> None:
    with store.transaction(), store.savepoint():
        store.append([record("outer")])
        with pytest.raises(Boom), store.savepoint():  # noqa: PT012
            store.append([record("inner")])
            raise Boom
    assert [r.key for r in store.iter_all_log()] == ["outer"]


def test_a_savepoint_goes_when_its_transaction_fails(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():  # noqa: PT012
        with store.savepoint():
            store.append([record("a")])
        raise Boom
    assert store.log_count() == 0


# -- cursor paging ---------------------------------------------------------------------------


def all_pages(fetch: Callable[[str | None], Page[Any]], limit: int) -> list[list[Any]]:
    pages: list[list[Any]] = []
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        pages.append(page.items)
        if page.next_cursor is None:
            return pages
        assert len(pages) <= limit, "the cursor does not move on"
        cursor = page.next_cursor


PAGE_SIZES = [1, 2, 3, 6, 7, 50]
# created times with ties (broken by id), conversations and web sessions mixed
CREATED = [T0 + 3, T0 + 1, T0 + 1, T0 + 2, T0 + 1, T0]
NEWEST_FIRST = [
    f"s{n:02}" for _, n in sorted(((c, n) for n, c in enumerate(CREATED)), reverse=True)
]
LINKED = {"c1": {"s00", "s01", "s02", "s03"}, "c2": {"s04"}}  # s05 is linked to no one


def seed_sessions(store: Store) -> None:
    with store.transaction():
        for n, created in enumerate(CREATED):
            owner = next((c for c, ids in LINKED.items() if f"s{n:02}" in ids), None)
            if n % 2:
                save_web(store, web_session(n, created), contact=owner)
            else:
                save_conversation(store, conversation(n, created))
                store.link_session(f"s{n:02}", owner, 1)


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_recent_sessions_pages_newest_first(store: Store, size: int) -> None:
    seed_sessions(store)
    pages = all_pages(lambda after: store.recent_sessions(after=after, page_size=size), 10)
    assert [s.id for page in pages for s in page] == NEWEST_FIRST
    assert all(len(page) == size for page in pages[:-1])
    assert pages[-1]  # no empty page at the end


@pytest.mark.parametrize("contacts", [["c1"], ["c2"], ["c1", "c2"], ["nobody"], []])
def test_recent_sessions_of_some_contacts(store: Store, contacts: list[str]) -> None:
    seed_sessions(store)
    pages = all_pages(
        lambda after: store.recent_sessions(after=after, page_size=2, contact_ids=contacts), 10
    )
    linked = set().union(*(LINKED.get(c, set()) for c in contacts))
    assert [s.id for page in pages for s in page] == [i for i in NEWEST_FIRST if i in linked]


@pytest.mark.parametrize("size", PAGE_SIZES)
@pytest.mark.parametrize("names", [[], ["routed"], ["ended", "routed"]])
def test_session_events_page_oldest_first(store: Store, size: int, names: list[str]) -> None:
    times = [T0 + 5, T0 + 1, T0 + 1, T0 + 9, T0 + 1, T0 + 2]
    events = [
        journey_event("s01", n, t, "ended" if n == 3 else "routed") for n, t in enumerate(times)
    ]
    with store.transaction():
        save_conversation(store, conversation(1), *events)
        save_conversation(store, conversation(2), journey_event("s02", 0, T0))
    pages = all_pages(
        lambda after: store.session_events("s01", after=after, page_size=size, names=names), 10
    )
    wanted = [e for e in events if not names or e.event_name in names]
    assert [e for page in pages for e in page] == sorted(wanted, key=lambda e: (e.created_ms, e.id))


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_web_events_page_oldest_first(store: Store, size: int) -> None:
    times = [T0 + 5, T0 + 1, T0 + 1, T0 + 9, T0 + 1, T0 + 2]
    events = [web_event(f"k{n}", t) for n, t in enumerate(times)]
    with store.transaction():
        save_web(store, web_session(1), *events)
        save_web(store, web_session(2, cookie="other"), web_event("elsewhere", T0))
    pages = all_pages(
        lambda after: store.web_events_page("s01", after=after, page_size=size, names=[]), 10
    )
    got = [e for page in pages for e in page]
    assert sorted(got, key=lambda e: e.key) == events  # each once ...
    assert [e.created_ms for e in got] == sorted(times)  # ... oldest first


LISTINGS: dict[str, Callable[[Store, str], object]] = {
    "recent_sessions": lambda s, after: s.recent_sessions(after=after, page_size=2),
    "session_events": lambda s, after: s.session_events("s01", after=after, page_size=2, names=[]),
    "web_events_page": lambda s, a: s.web_events_page("s01", after=a, page_size=2, names=[]),
}


@pytest.mark.parametrize("listing", LISTINGS.values(), ids=LISTINGS.keys())
@pytest.mark.parametrize(
    "cursor",
    ["garbage!", "bm90LWEtY3Vyc29y", make_cursor(-1, "s01"), make_cursor(2**63, "s01"), "//8"],
)
def test_a_cursor_the_store_did_not_issue_is_invalid_input(
    store: Store, listing: Callable[[Store, str], object], cursor: str
) -> None:
    seed_sessions(store)
    with pytest.raises(InvalidInput) as caught:
        listing(store, cursor)
    assert caught.value.field == "after"


# -- every projection, written and read back -------------------------------------------------


def test_conversation_sessions_and_their_events(store: Store) -> None:
    session = conversation(1, T0, latest_ms=T0 + 50, customer="+15550009")
    events = [journey_event("s01", 0, T0), journey_event("s01", 1, T0 + 9, "connected")]
    with store.transaction():
        save_conversation(store, session, *events)
    assert store.get_session("s01") == session
    assert store.get_session("nope") is None
    assert store.sessions_for_conversation("conv-01") == [session]
    assert store.sessions_for_conversation("nope") == []
    assert store.session_events("s01", after=None, page_size=10, names=[]).items == events
    assert store.session_link("s01") == (None, 0)  # links are link_session's
    newer = replace(session, phase="connected", latest_ms=T0 + 60)
    with store.transaction():
        save_conversation(store, newer)
    assert store.get_session("s01") == newer
    assert store.session_events("s01", after=None, page_size=10, names=[]).items == events


@pytest.mark.parametrize(
    ("upsert", "delete", "replace_all", "expected"),
    [
        (["e1"], [], False, ["e0", "e1", "e2"]),  # an upsert of one changes it alone
        ([], ["e1"], False, ["e0", "e2"]),
        (["e1"], ["e0"], False, ["e1", "e2"]),
        (["e1"], ["e0", "e2"], True, ["e1"]),  # replace_all: only the upserted remain
        ([], [], True, []),
        (["e3"], [], False, ["e0", "e1", "e2", "e3"]),
    ],
)
def test_journey_events_are_upserted_and_deleted(
    store: Store, upsert: list[str], delete: list[str], replace_all: bool, expected: list[str]
) -> None:
    def event(name: str) -> SessionEvent:
        return journey_event("s01", int(name[1]), T0 + int(name[1]))

    with store.transaction():
        save_conversation(store, conversation(1), *map(event, ["e0", "e1", "e2"]))
    changed = [replace(event(name), attributes={"queue.id": "q2"}) for name in upsert]
    ids = [event(name).id for name in delete]
    with store.transaction():
        store.save_conversations([ConversationWrite(conversation(1), changed, ids, replace_all)])
    got = store.session_events("s01", after=None, page_size=10, names=[]).items
    assert [e.id for e in got] == [event(name).id for name in expected]
    assert [e for e in got if e.id in {c.id for c in changed}] == changed


def test_web_sessions_and_their_events(store: Store) -> None:
    session = web_session(1, T0, last_ms=T0 + 10)
    first, second = web_event("k1", T0), web_event("k2", T0 + 10)
    other = web_session(2, T0 + 20, cookie="cookie-1")
    with store.transaction():
        save_web(store, session, first, contact="c1", verified=True)
        save_web(store, other, web_event("k3", T0 + 20))
        save_web(store, session, second, contact="c1", verified=True)  # adds to the events
    assert store.web_session_get("s01") == session
    assert store.web_session_get("nope") is None
    assert store.get_session("s01") is None  # not a conversation session
    assert store.web_events_page("s01", after=None, page_size=9, names=[]).items == [first, second]
    assert store.session_of_event(web_event_id("k2")) == "s01"
    assert store.session_of_event("nope") is None
    assert store.session_link("s01") == ("c1", 1)
    assert store.session_link("s02") == (None, 0)
    assert sorted(store.customer_web_sessions("cookie-1", "web")) == ["s01", "s02"]
    assert store.customer_web_sessions("cookie-1", "app") == []
    at = [store.web_session_at("cookie-1", t) for t in (T0, T0 + 10, T0 + 15, T0 + 20)]
    assert at == ["s01", "s01", None, "s02"]
    assert store.web_session_at("cookie-2", T0) is None
    assert sorted(e.key for e in store.web_events_of("cookie-1", "web")) == ["k1", "k2", "k3"]
    assert store.web_events_of("cookie-2", "web") == []
    replaced = WebSessionWrite(session, [second], "c1", True, replace=True)
    with store.transaction():
        store.save_web_sessions([replaced])
        store.delete_session("s02")
    assert store.web_events_page("s01", after=None, page_size=9, names=[]).items == [second]
    assert (store.web_session_get("s02"), store.session_of_event(web_event_id("k3"))) == (None,) * 2


def test_a_web_event_body_is_stored_once(store: Store, url: str) -> None:
    """In the log: its session's row names the log row and keeps no copy (issue 6). A row
    stored before (its own copy, no log key) still reads; one whose log row is gone fails as
    the store fails, not with a driver's or a decoder's error."""
    session = web_session(1, T0, last_ms=T0 + 10)
    first, second = web_event("k1", T0), web_event("k2", T0 + 10)
    with store.transaction():
        save_web(store, session, first)
    assert sabotage.run(url, "SELECT log_key, length(doc) FROM session_events") == [("k1", 0)]
    text = msgspec.json.encode(second).decode()
    blob = (
        f"CAST('{text}' AS BLOB)" if url.startswith("sqlite") else f"convert_to('{text}', 'UTF8')"
    )
    sabotage.run(
        url,
        "INSERT INTO session_events (id, session_id, created_ms, event_name, event_type, doc)"
        f" VALUES ('{web_event_id('k2')}', 's01', {T0 + 10}, 'page_viewed', 'WebEvent', {blob})",
    )
    assert store.web_events_page("s01", after=None, page_size=9, names=[]).items == [first, second]
    assert store.web_events_of("cookie-1", "web") == [first, second]
    scrubbed = replace(second, event_name="scrubbed")
    with store.transaction():  # an erasure rewrites the older row's own copy too
        store.web_event_rewrite("k2", msgspec.json.encode(scrubbed))
    assert store.web_events_of("cookie-1", "web") == [first, scrubbed]
    sabotage.run(url, "DELETE FROM event_log WHERE key = 'k1'")
    with pytest.raises(StoreError, match="no body in the log"):
        store.web_events_page("s01", after=None, page_size=9, names=[])
    with pytest.raises(StoreError, match="no body in the log"):
        store.web_events_of("cookie-1", "web")


def test_a_web_event_whose_log_row_is_a_tombstone_fails_as_the_store_fails(store: Store) -> None:
    """An erasure tombstones a log row (an empty body) and deletes the sessions that read it:
    a row left reading one is the store's fault, said as such, not a decoder's error."""
    session = web_session(1, T0, last_ms=T0)
    with store.transaction():
        save_web(store, session, web_event("k1", T0))
        store.log_erase(partition_keys={}, keys=["k1"])
    with pytest.raises(StoreError, match="no body in the log"):
        store.web_events_of("cookie-1", "web")
    with pytest.raises(StoreError, match="no body in the log"):
        store.web_events_page("s01", after=None, page_size=9, names=[])
    with pytest.raises(StoreError, match="no body in the log"):
        store.snapshot()


def test_contacts(store: Store) -> None:
    ada = contact("c1", T0, first_name="Ada", work_email="ada@example.com")
    members = [contact(f"m{n}", T0 + n, canonical_id="c1") for n in (2, 1)]
    with store.transaction():
        for one in [ada, *members]:
            store.contact_put(one)
        store.contact_put(replace(ada, last_name="Lovelace", merged_from=("m1", "m2")))
    assert store.contact_get("c1") == replace(ada, last_name="Lovelace", merged_from=("m1", "m2"))
    assert store.contact_get("nope") is None
    assert store.contact_members("c1") == sorted(members, key=lambda c: c.id)
    assert store.contact_members("m1") == []
    assert store.contacts_page(page_number=1, page_size=2) == ([members[0], members[1]], 3)
    assert store.contacts_page(page_number=2, page_size=2)[0] == [store.contact_get("c1")]
    with store.transaction():
        store.contact_delete("m1")
        store.contact_delete("nope")
    assert store.contact_get("m1") is None
    assert store.contacts_page(page_number=1, page_size=10)[1] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ada", ["c2", "c1"]),  # most recently active first
        ("LOVE", ["c1"]),
        ("ada love", ["c1"]),  # first and last name, one space between
        ("grace", []),
        ("%", ["c3"]),  # LIKE's wildcards are matched as themselves
        ("_", ["c3"]),
        ("", ["c3", "c2", "c0", "c1"]),  # a tie in activity: by id
    ],
)
def test_contacts_are_searched_by_name(store: Store, text: str, expected: list[str]) -> None:
    with store.transaction():
        store.contact_put(contact("c0", T0))
        store.contact_put(replace(contact("c1", T0), first_name="Ada", last_name="Lovelace"))
        store.contact_put(replace(contact("c2", T0 + 1), first_name="Adam"))
        store.contact_put(replace(contact("c3", T0 + 2), first_name="100%", last_name="a_b"))
    assert [c.id for c in store.contacts_search(text, limit=10)] == expected
    assert len(store.contacts_search("", limit=2)) == 2


def test_live_sessions_are_the_open_and_recently_active_ones(store: Store) -> None:
    open_call = conversation(0, T0)
    ended_late = replace(conversation(2, T0 + 1), ended_ms=T0 + 500)
    ended_early = replace(conversation(4, T0 + 2), ended_ms=T0 + 100)
    with store.transaction():
        for one in (open_call, ended_late, ended_early):
            save_conversation(store, one)
        save_web(store, web_session(1, T0 + 3, last_ms=T0 + 600))
        save_web(store, web_session(3, T0 + 4, last_ms=T0 + 50, cookie="cookie-2"))
    live = store.sessions_live(since_ms=T0 + 400, limit=10)
    assert [s.id for s in live] == ["s01", "s02", "s00"]  # newest first
    # past the limit, the open conversations come first: the longest open first
    assert [s.id for s in store.sessions_live(since_ms=T0 + 400, limit=1)] == ["s00"]
    assert [s.id for s in store.sessions_live(since_ms=T0 + 400, limit=2)] == ["s01", "s00"]
    with store.transaction():
        save_conversation(store, conversation(6, T0 + 9))  # opened later, waited less
    assert [s.id for s in store.sessions_live(since_ms=T0 + 400, limit=1)] == ["s00"]
    assert [s.id for s in store.sessions_live(since_ms=T0 + 400, limit=2)] == ["s06", "s00"]
    assert {s.id for s in store.sessions_live(since_ms=T0, limit=10)} == {
        "s00",
        "s01",
        "s02",
        "s03",
        "s04",
        "s06",
    }


def test_contacts_in_one_read_and_one_write(store: Store) -> None:
    many = [contact(f"c{n:04}", T0 + n) for n in range(1200)]  # more than one IN (...) list
    with store.transaction():
        store.contacts_put(many)
        store.contacts_put([replace(many[0], first_name="Ada")])
        store.contacts_put([])
    wanted = [c.id for c in many[::3]] + ["nope"]
    expected = {c.id: c for c in many[::3]} | {"c0000": replace(many[0], first_name="Ada")}
    assert store.contacts_get(wanted) == expected
    assert store.contacts_get([]) == {}


def test_identifiers_in_one_read_and_one_write(store: Store) -> None:
    cookies = [Identifier("Cookie", f"k{n:04}", f"c{n}", False, T0 + n) for n in range(1100)]
    email = Identifier("Email", "k0001", "c9", True, T0)  # same value, another type
    with store.transaction():
        store.identifiers_put([*cookies, email])
        store.identifiers_put([replace(cookies[1], verified=True)])
    keys = [("Cookie", f"k{n:04}") for n in range(0, 1100, 7)] + [("Email", "k0001")]
    found = store.identifiers_get([*keys, ("Phone", "k0001"), ("Cookie", "none")])
    expected = {(i.type, i.value): i for i in cookies[::7]} | {("Email", "k0001"): email}
    assert found == expected
    assert store.identifiers_get([("Cookie", "k0001")]) == {
        ("Cookie", "k0001"): replace(cookies[1], verified=True)
    }


def test_customers_with_sessions(store: Store) -> None:
    with store.transaction():
        save_web(store, web_session(1, T0, cookie="cookie-1"), contact="c1")
        save_web(store, web_session(2, T0, cookie="cookie-2"), contact="c2")
    assert store.customers_with_sessions(["cookie-1", "cookie-3"], "web") == {"cookie-1"}
    assert store.customers_with_sessions(["cookie-1", "cookie-2"], "app") == set()
    assert store.customers_with_sessions([], "web") == set()


def definition(kind: str, definition_id: str, name: str = "One", **fields: Any) -> StoredDefinition:
    values: dict[str, Any] = {"version": 1, "is_active": True, "created_ms": T0, "modified_ms": T0}
    values.update(fields)
    return StoredDefinition(kind, definition_id, display_name=name, doc=b'{"x": 1}', **values)


def assignment(segment_id: str, scope: str, **fields: Any) -> Assignment:
    values: dict[str, Any] = {
        "session_id": scope,
        "contact_id": None,
        "assigned_ms": T0,
        "modified_ms": T0,
        "unassign_ms": None,
        "state": "Assigned",
    }
    values.update(fields)
    return Assignment(segment_id, scope, **values)


def action(action_id: str, session_id: str, **fields: Any) -> JourneyAction:
    values: dict[str, Any] = {
        "action_map_id": "m1",
        "action_map_version": 1,
        "contact_id": None,
        "media_type": "architectFlow",
        "state": "qualified",
        "created_ms": T0,
        "modified_ms": T0,
        "doc": b"{}",
    }
    values.update(fields)
    return JourneyAction(action_id, session_id=session_id, **values)


def test_definitions_are_kept_by_kind_and_paged(store: Store) -> None:
    first = definition("segment", "g1", "Bargain hunters", created_ms=T0 + 2)
    second = definition("segment", "g2", "all visitors", is_active=False, created_ms=T0 + 1)
    outcome = definition("outcome", "g1", "Bought")  # the same id, another kind
    with store.transaction():
        for one in (first, second, outcome):
            store.definition_put(one)
        store.definition_put(replace(first, version=2, doc=b'{"x": 2}'))
    assert store.definition_get("segment", "g1") == replace(first, version=2, doc=b'{"x": 2}')
    assert store.definition_get("outcome", "g1") == outcome
    assert store.definition_get("segment", "nope") is None
    assert [d.id for d in store.definitions("segment")] == ["g1", "g2"]
    page = store.definitions_page
    assert [d.id for d in page("segment", page_number=1, page_size=5)[0]] == ["g2", "g1"]
    assert page("segment", page_number=1, page_size=1)[1] == 2
    newest = page("segment", page_number=1, page_size=5, sort_by="createdDate", descending=True)
    assert [d.id for d in newest[0]] == ["g1", "g2"]
    assert [d.id for d in page("segment", page_number=1, page_size=5, is_active=False)[0]] == ["g2"]
    found = page("segment", page_number=1, page_size=5, name_contains="HUNT")
    assert [d.id for d in found[0]] == ["g1"]
    assert page("segment", page_number=2, page_size=5) == ([], 2)
    with store.transaction():
        assert store.definition_delete("segment", "g1") is True
        assert store.definition_delete("segment", "g1") is False
    assert store.definition_get("segment", "g1") is None
    assert store.definition_get("outcome", "g1") == outcome


def test_what_evaluating_definitions_decided(store: Store) -> None:
    with store.transaction():
        store.progress_put([("g1", "s01", b"[1]"), ("g1", "c1", b"[2]")])
        store.progress_put([("g1", "s01", b"[3]")])
        store.assignment_put(assignment("g1", "s01", assigned_ms=T0 + 5))
        store.assignment_put(assignment("g2", "c1", session_id="s01", contact_id="c1"))
        store.assignment_put(assignment("g2", "c1", session_id="s01", contact_id="c1", state="X"))
        assert store.achievement_put(Achievement("o1", "s01", "c1", T0, 12.5)) is True
        assert store.achievement_put(Achievement("o1", "s01", "c1", T0 + 9, 1.0)) is False
        store.action_put(action("a2", "s01", created_ms=T0 + 1, action_map_id="m2"))
        store.action_put(action("a1", "s01"))
        store.action_put(action("a1", "s01", state="offered"))
    assert store.progress_get([("g1", "s01"), ("g1", "c1"), ("g9", "s01")]) == {
        ("g1", "s01"): b"[3]",
        ("g1", "c1"): b"[2]",
    }
    assert store.assignment_get("g2", "c1") == assignment(
        "g2", "c1", session_id="s01", contact_id="c1", state="X"
    )
    assert [a.segment_id for a in store.assignments_of(session_id="s01")] == ["g2", "g1"]
    assert [a.segment_id for a in store.assignments_of(contact_ids=["c1", "c9"])] == ["g2"]
    assert store.achievements_of("s01") == [Achievement("o1", "s01", "c1", T0, 12.5)]
    assert store.action_get("a1") == action("a1", "s01", state="offered")
    assert [a.id for a in store.actions_of("s01")] == ["a1", "a2"]
    assert [a.id for a in store.actions_of("s01", "m2")] == ["a2"]
    with store.transaction():
        store.action_put(action("a3", "s01", contact_id="c1", state="waiting"))
        store.action_put(action("a4", "s02", contact_id="c1", state="qualified"))
        store.action_put(action("a5", "s03", contact_id="c2", state="waiting"))
    assert [a.id for a in store.actions_waiting("c1")] == ["a3"]
    with store.transaction():
        store.clear_projections()  # all of it is a projection: a replay decides it again
    assert store.progress_get([("g1", "s01")]) == {}
    assert store.actions_of("s01") == []


def test_assignments_lapse_in_order_of_their_expiry(store: Store) -> None:
    assert store.next_unassignment() is None
    with store.transaction():
        store.assignment_put(assignment("g1", "s01", unassign_ms=T0 + 30))
        store.assignment_put(assignment("g2", "s01", unassign_ms=T0 + 10))
        store.assignment_put(assignment("g3", "s01", unassign_ms=T0 + 5, state="Unassigned"))
        store.assignment_put(assignment("g4", "s01"))  # never lapses
    assert store.next_unassignment() == T0 + 10
    assert store.assignments_due(T0 + 9) == []
    assert [a.segment_id for a in store.assignments_due(T0 + 30)] == ["g2", "g1"]


def test_rule_events_are_paged_by_time_then_id_and_kept_by_type(store: Store) -> None:
    rows = [
        RuleEventRow("e2", "s01", T0 + 1, "SegmentAssignmentEvent", b'{"a": 1}'),
        RuleEventRow("e1", "s01", T0 + 1, "OutcomeAchievedEvent", b'{"b": 2}'),
        RuleEventRow("e0", "s01", T0, "WebActionEvent", b"{}"),
        RuleEventRow("e9", "s02", T0, "WebActionEvent", b"{}"),
    ]
    with store.transaction():
        store.journey_events_put(rows)
        store.journey_events_put([replace(rows[0], doc=b'{"a": 3}')])  # the same id again
    first = store.journey_events_page("s01", after=None, page_size=2, types=())
    assert [r.id for r in first.items] == ["e0", "e1"]
    rest = store.journey_events_page("s01", after=first.next_cursor, page_size=2, types=())
    assert rest.items == [replace(rows[0], doc=b'{"a": 3}')]
    assert rest.next_cursor is None
    only = store.journey_events_page("s01", after=None, page_size=9, types=["WebActionEvent"])
    assert [r.id for r in only.items] == ["e0"]
    with store.transaction():
        store.clear_projections()
    assert store.journey_events_page("s01", after=None, page_size=9, types=()).items == []


def test_a_customers_actions_by_state_and_media_type(store: Store) -> None:
    offer = {"media_type": "contentOffer"}
    with store.transaction():
        save_web(store, web_session(1, T0, last_ms=T0 + 100))
        save_web(store, web_session(2, T0, last_ms=T0 + 10))  # the same cookie, gone quiet
        save_web(store, web_session(3, T0, last_ms=T0 + 100, cookie="cookie-2"))
        store.action_put(action("a3", "s01", created_ms=T0 + 3, **offer))
        store.action_put(action("a1", "s01", created_ms=T0 + 1, media_type="webMessagingOffer"))
        store.action_put(action("a2", "s01", created_ms=T0 + 2, **offer, state="accepted"))
        store.action_put(action("a4", "s01", created_ms=T0 + 4))  # an architectFlow
        store.action_put(action("a5", "s02", **offer))
        store.action_put(action("a6", "s03", **offer))

    def found(**fields: Any) -> list[str]:
        wanted: dict[str, Any] = {
            "session_type": "web",
            "states": {"qualified"},
            "media_types": {"contentOffer", "webMessagingOffer"},
            "active_since_ms": T0 + 50,
        }
        wanted.update(fields)
        return [a.id for a in store.customer_actions("cookie-1", **wanted)]

    assert found() == ["a1", "a3"]
    assert found(active_since_ms=T0) == ["a5", "a1", "a3"]
    assert found(states={"qualified", "accepted"}) == ["a1", "a2", "a3"]
    assert found(session_type="app") == []
    assert found(states=set()) == []
    assert (
        store.customer_actions(
            "nobody", session_type="web", states={"qualified"}, media_types={"x"}, active_since_ms=0
        )
        == []
    )


def test_identifiers(store: Store) -> None:
    email = Identifier("Email", "ada@example.com", "c1", False, T0, "webClaim", "cookie-9", "d1")
    phone = Identifier("Phone", "+15550001", "c1", True, T0 + 1)
    cookie = Identifier("Cookie", "cookie-1", "c2", False, T0)
    with store.transaction():
        for one in (email, phone, cookie):
            store.identifier_put(one)
        store.identifier_put(replace(email, verified=True))
    assert store.identifier_get("Email", "ada@example.com") == replace(email, verified=True)
    assert store.identifiers_get([("Email", "ada@example.com")]) == {
        ("Email", "ada@example.com"): replace(email, verified=True)
    }
    assert store.identifier_get("Email", "nobody@example.com") is None
    assert store.identifiers_of("c1") == [replace(email, verified=True), phone]
    with store.transaction():
        store.move_identifiers("c1", "c2")
        assert store.identifier_delete("Phone", "+15550001") is True
        assert store.identifier_delete("Phone", "+15550001") is False
    assert [i.value for i in store.identifiers_of("c2")] == ["cookie-1", "ada@example.com"]
    assert store.identifiers_of("c1") == []


def test_rules_of_many_sessions_at_once(store: Store) -> None:
    """``assignments_on`` / ``achievements_on``: per session what ``assignments_of`` /
    ``achievements_of`` answer, in the same order; sessions with none left out."""
    with store.transaction():
        store.assignment_put(assignment("g1", "s01", assigned_ms=T0 + 5))
        store.assignment_put(assignment("g2", "c1", session_id="s01", contact_id="c1"))
        store.assignment_put(assignment("g3", "s02", assigned_ms=T0 + 1))
        store.assignment_put(assignment("g1", "s09"))
        store.achievement_put(Achievement("o2", "s01", "c1", T0 + 3, None))
        store.achievement_put(Achievement("o1", "s01", "c1", T0 + 3, 12.5))
        store.achievement_put(Achievement("o1", "s02", None, T0, None))
    wanted = ["s02", "s01", "s03"]
    assigned = store.assignments_on(wanted)
    assert {k: [a.segment_id for a in v] for k, v in assigned.items()} == {
        "s01": ["g2", "g1"],
        "s02": ["g3"],
    }
    assert assigned == {s: store.assignments_of(session_id=s) for s in ("s01", "s02")}
    achieved = store.achievements_on(wanted)
    assert {k: [a.outcome_id for a in v] for k, v in achieved.items()} == {
        "s01": ["o1", "o2"],
        "s02": ["o1"],
    }
    assert achieved == {s: store.achievements_of(s) for s in ("s01", "s02")}
    assert store.assignments_on([]) == {}
    assert store.achievements_on([]) == {}


def test_session_links_of_many_sessions_at_once(store: Store) -> None:
    with store.transaction():
        save_conversation(store, conversation(1, T0 + 10, latest_ms=T0 + 50, customer="cookie-1"))
        save_web(store, web_session(2, T0 + 5, last_ms=T0 + 20), contact="c1")
        save_web(store, web_session(3, T0, cookie="cookie-2"), contact="c9")
        store.link_session("s01", "c1", 2)
        store.link_session("s03", None, 0)
    assert store.session_links(["s03", "s01", "s02", "nope"]) == {
        "s01": ("c1", 2),
        "s02": ("c1", 0),
        "s03": (None, 0),
    }
    assert store.session_links([]) == {}


def test_session_links(store: Store) -> None:
    with store.transaction():
        save_conversation(store, conversation(1, T0 + 10, latest_ms=T0 + 50, customer="cookie-1"))
        save_web(store, web_session(2, T0 + 5, last_ms=T0 + 20), contact="c1")
        save_web(store, web_session(3, T0, cookie="cookie-2"), contact="c9")
        store.link_session("s01", "c1", 1)
    assert [store.session_link(s) for s in ("s01", "s02", "s03")] == [
        ("c1", 1),
        ("c1", 0),
        ("c9", 0),
    ]
    assert store.session_link("nope") is None
    assert store.contact_activity("c1") == (T0 + 5, T0 + 50)
    assert store.contact_activity("nobody") is None
    with store.transaction():
        store.relink_customer("cookie-1", "c2", 2, only_from="c9")  # none is c9's
    assert store.session_link("s02") == ("c1", 0)
    with store.transaction():
        store.relink_customer("cookie-1", "c2", 2)  # every session of the customer id
    assert [store.session_link(s) for s in ("s01", "s02", "s03")] == [
        ("c2", 2),
        ("c2", 2),
        ("c9", 0),
    ]
    with store.transaction():
        store.relink_contact("c2", "c3")
        store.relink_contact("c9", None)
    assert [store.session_link(s) for s in ("s01", "s02", "s03")] == [
        ("c3", 2),
        ("c3", 2),
        (None, 0),
    ]


def test_the_audit_trail(store: Store) -> None:
    with store.transaction():
        store.audit_add(at_ms=T0 + 9, actor="a1", action="merge", contact_id="c1", doc={"n": 1})
        store.audit_add(at_ms=T0, actor="a2", action="claim", contact_id="c2", doc={"x": [1]})
        store.audit_add(at_ms=T0, actor="a1", action="verify", contact_id="c1", doc={})
        store.audit_add(at_ms=T0, actor="a1", action="release", contact_id=None, doc={})
    assert store.audits_of(["c1"]) == [
        {"atMs": T0 + 9, "actor": "a1", "action": "merge", "contactId": "c1", "details": {"n": 1}},
        {"atMs": T0, "actor": "a1", "action": "verify", "contactId": "c1", "details": {}},
    ]
    assert [a["action"] for a in store.audits_of(["c2", "c1"])] == ["merge", "claim", "verify"]
    assert store.audits_of([]) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, ["q4", "q5", "q3", "q1", "q2"]),  # by name
        ("Sales", ["q1"]),
        ("Sales*", ["q1", "q2"]),
        ("*s*", ["q1", "q2"]),
        ("50%_off", ["q4"]),  # % and _ are not wildcards
        ("50*", ["q4", "q5"]),
        ("Nobody", []),
    ],
)
def test_the_directory_by_name(store: Store, name: str | None, expected: list[str]) -> None:
    entries = [("q1", "Sales"), ("q2", "Sales EMEA"), ("q3", "Billing"), ("q4", "50%_off")]
    with store.transaction():
        for entry_id, entry_name in entries:
            store.directory_put(DirectoryEntry("queue", entry_id, entry_name, T0))
        store.directory_put(DirectoryEntry("user", "u1", "Sales", T0))
        store.directory_put(DirectoryEntry("queue", "q5", "50xxoff", T0))
    found, total = store.directory_list("queue", page_number=1, page_size=50, name=name)
    assert ([e.id for e in found], total) == (expected, len(expected))


def test_the_directory(store: Store) -> None:
    with store.transaction():
        for n in range(5):
            store.directory_put(DirectoryEntry("queue", f"q{n}", f"Queue {n}", T0))
        store.directory_put(DirectoryEntry("queue", "q0", "Renamed", T0 + 1))
        store.directory_put(DirectoryEntry("wrapupcode", "q1", "Sale", T0))
    assert store.directory_get("queue", "q0") == DirectoryEntry("queue", "q0", "Renamed", T0 + 1)
    assert store.directory_get("user", "q0") is None
    page, total = store.directory_list("queue", page_number=2, page_size=2, name=None)
    assert ([e.id for e in page], total) == (["q3", "q4"], 5)
    assert store.directory_names("queue", ["q1", "q0", "nope"]) == {
        "q1": "Queue 1",
        "q0": "Renamed",
    }
    assert store.directory_names("queue", []) == {}
    with store.transaction():
        assert store.directory_delete("queue", "q1") is True
        assert store.directory_delete("queue", "q1") is False
    assert store.directory_get("wrapupcode", "q1") is not None


def test_deployments(store: Store) -> None:
    shop = Deployment("d1", "Shop", "key-1", ("shop.example.com",), created_ms=T0, modified_ms=T0)
    blog = Deployment("d2", "Blog", "key-2", allow_all_domains=True, collect_ip_addresses=False)
    with store.transaction():
        store.deployment_put(shop)
        store.deployment_put(blog)
        store.deployment_put(replace(shop, write_key="key-3", modified_ms=T0 + 1))
    moved = replace(shop, write_key="key-3", modified_ms=T0 + 1)
    assert (store.deployment_get("d1"), store.deployment_get("nope")) == (moved, None)
    assert store.deployment_by_write_key("key-3") == moved
    assert store.deployment_by_write_key("key-1") is None
    assert store.deployments() == [blog, moved]  # by name
    with store.transaction():
        assert store.deployment_delete("d2") is True
        assert store.deployment_delete("d2") is False
    assert store.deployments() == [moved]


def test_deployment_identify_secrets(store: Store) -> None:
    signed = Deployment("d1", "Shop", "key-1", identify_signing="required")
    with store.transaction():
        store.deployment_put(signed)
        store.deployment_put(Deployment("d2", "Blog", "key-2"))
        store.deployment_secret_put("d1", "jlid_one", T0)
        store.deployment_secret_put("d1", "jlid_two", T0 + 1)  # a rotation replaces it
    assert store.deployment_get("d1") == signed
    assert (store.deployment_secret("d1"), store.deployment_secret("d2")) == ("jlid_two", None)
    with store.transaction():
        store.deployment_delete("d1")
    assert store.deployment_secret("d1") is None  # the secret goes with its deployment


def test_oauth_clients_and_tokens(store: Store) -> None:
    client = OAuthClient("client-1", "secret-hash", "Desk", "agent", T0)
    with store.transaction():
        store.client_put(client)
        store.token_put("token-hash", "client-1", T0 + 3600_000)
        store.token_put("orphan-hash", "nobody", T0)
    assert store.client_get("client-1") == client
    assert store.client_get("nobody") is None
    assert store.token_get("token-hash") == (client, T0 + 3600_000)
    assert store.token_get("orphan-hash") is None  # a token is worth its client
    assert store.token_get("nope") is None


def test_an_oauth_client_is_changed_and_deleted_with_its_tokens(store: Store) -> None:
    client = OAuthClient("client-1", "hash-1", "Desk", "agent", T0, "the desk", "active", T0)
    other = OAuthClient("client-2", "hash-2", "Dialer", "ingest", T0)
    with store.transaction():
        store.client_put(client)
        store.client_put(other)
        for token, owner in (("t-1", "client-1"), ("t-2", "client-1"), ("t-3", "client-2")):
            store.token_put(token, owner, T0 + 3600_000)
    changed = replace(
        client, name="Desk 2", state="disabled", secret_hash="hash-9", modified_ms=T0 + 5
    )
    with store.transaction():
        assert store.client_update(changed) is True
        assert store.client_update(replace(changed, client_id="nobody")) is False
    assert store.client_get("client-1") == changed
    assert store.token_get("t-1") == (changed, T0 + 3600_000)  # the caller refuses it
    with store.transaction():
        assert store.token_delete("t-1") is True
        assert store.token_delete("t-1") is False
    assert store.token_get("t-1") is None
    assert store.token_get("t-2") is not None
    with store.transaction():
        assert store.client_delete("client-1") is True
        assert store.client_delete("client-1") is False
    assert (store.client_get("client-1"), store.token_get("t-2")) == (None, None)
    with store.transaction():
        store.client_put(client)  # the same id again: none of the old tokens comes back
    assert store.token_get("t-2") is None
    assert store.token_get("t-3") == (other, T0 + 3600_000)


def test_a_clients_tokens_are_revoked_and_expired_ones_pruned(store: Store) -> None:
    with store.transaction():
        store.client_put(OAuthClient("c-1", "h1", "Desk", "agent", T0))
        store.client_put(OAuthClient("c-2", "h2", "Dialer", "ingest", T0))
        store.token_put("a", "c-1", T0 + 10)
        store.token_put("b", "c-1", T0 + 20)
        store.token_put("c", "c-2", T0 + 10)
        store.token_put("d", "c-2", T0 + 30)
    with store.transaction():
        assert store.tokens_revoke("c-1") == 2
        assert store.tokens_revoke("c-1") == 0
    assert [store.token_get(t) is None for t in "abcd"] == [True, True, False, False]
    with store.transaction():
        assert store.tokens_prune(T0 + 10) == 1  # "c": expired at T0 + 10
    assert [store.token_get(t) is None for t in "cd"] == [True, False]


def test_oauth_clients_are_listed_by_name(store: Store) -> None:
    assert store.clients() == []
    made = [
        OAuthClient("c-2", "h2", "Zeta", "agent", T0),
        OAuthClient("c-3", "h3", "Alpha", "admin", T0 + 1),
        OAuthClient("c-1", "h1", "Alpha", "ingest", T0 + 2),
    ]
    with store.transaction():
        for client in made:
            store.client_put(client)
    assert store.clients() == [made[2], made[1], made[0]]  # by name, then id


def test_accounts_by_user_and_by_email(store: Store) -> None:
    ann = account("u1", email="ann@example.com")
    bob = account("u2", email="bob@example.com", password_hash=None, role="admin")
    with store.transaction():
        store.account_put(ann)
        store.account_put(bob)
    assert store.account_get("u1") == ann
    assert store.account_by_email("bob@example.com") == bob
    assert (store.account_get("nobody"), store.account_by_email("x@example.com")) == (None, None)
    assert store.accounts_of(["u2", "u1", "nobody"]) == {"u1": ann, "u2": bob}
    assert store.accounts_of([]) == {}
    changed = replace(ann, email="ann@example.org", failed_attempts=3, locked_until_ms=T0 + 5)
    with store.transaction():
        store.account_put(changed)  # replaced, by user
    assert store.account_get("u1") == changed
    assert store.account_by_email("ann@example.com") is None
    with pytest.raises(StoreError), store.transaction():
        store.account_put(account("u3", email="bob@example.com"))  # an email is one account's
    assert store.account_get("u3") is None


def test_desktop_sessions_are_worth_their_account(store: Store) -> None:
    ann = account("u1")
    sessions = [desktop_session("t1", "u1"), desktop_session("t2", "u1", expires_ms=T0 + 10)]
    with store.transaction():
        store.account_put(ann)
        store.account_put(account("u2", email="b@example.com"))
        for session in sessions:
            store.desktop_session_put(session)
        store.desktop_session_put(desktop_session("t3", "u2"))
        store.desktop_session_put(desktop_session("orphan", "nobody"))
    assert store.desktop_session_get("t1") == (sessions[0], ann)
    assert store.desktop_session_get("orphan") is None  # a session is worth its account
    assert store.desktop_session_get("nope") is None
    with store.transaction():
        store.desktop_session_touch("t1", T0 + 1000, T0 + 90_000)
    assert store.desktop_session_get("t1") == (
        replace(sessions[0], last_seen_ms=T0 + 1000, expires_ms=T0 + 90_000),
        ann,
    )
    with store.transaction():
        assert store.desktop_sessions_prune(T0 + 10) == 1  # t2 expired then
        assert store.desktop_session_delete("t3") is True
        assert store.desktop_session_delete("t3") is False
    assert [store.desktop_session_get(t) is None for t in ("t1", "t2")] == [False, True]
    with store.transaction():
        store.desktop_session_put(desktop_session("t4", "u1"))
        assert store.desktop_sessions_end("u1") == 2
    assert store.desktop_session_get("t4") is None
    with store.transaction():
        store.desktop_session_put(desktop_session("t5", "u1"))
        assert store.account_delete("u1") is True  # and its sessions
        assert store.account_delete("u1") is False
        store.account_put(ann)  # the same user again: the old session stays gone
    assert store.desktop_session_get("t5") is None


def test_a_server_secret_is_the_first_one_stored(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():  # noqa: PT012
        assert store.server_secret("signin", "undone", T0) == "undone"
        raise Boom
    with store.transaction():
        assert store.server_secret("signin", "first", T0) == "first"
    with store.transaction():
        assert store.server_secret("signin", "second", T0) == "first"
        assert store.server_secret("other", "second", T0) == "second"


def test_the_snapshot_holds_every_projection_sorted(store: Store) -> None:
    conversations = [conversation(3, T0), conversation(1, T0 + 5)]
    events = [journey_event("s03", 1, T0 + 2), journey_event("s01", 0, T0 + 7)]
    webs = [web_session(4, T0), web_session(2, T0 + 1, cookie="cookie-2")]
    web_events = [web_event("k9", T0 + 1), web_event("k1", T0 + 1), web_event("k5", T0)]
    contacts = [contact("c2"), contact("c1", first_name="Ada")]
    identifiers = [
        Identifier("Phone", "+1555", "c1", True, T0),
        Identifier("Email", "a@x", "c2", False, T0),
    ]
    with store.transaction():
        save_conversation(store, conversations[0], events[0])
        save_conversation(store, conversations[1], events[1])
        save_web(store, webs[0], *web_events, contact="c1", verified=True)
        save_web(store, webs[1])
        store.link_session("s03", "c2", 2)
        for one in contacts:
            store.contact_put(one)
        for identifier in identifiers:
            store.identifier_put(identifier)
        store.audit_add(at_ms=T0 + 1, actor="b", action="merge", contact_id="c1", doc={"n": 1})
        store.audit_add(at_ms=T0, actor="a", action="claim", contact_id=None, doc={})
        store.directory_put(DirectoryEntry("queue", "q1", "Sales", T0))  # not projections
        store.deployment_put(Deployment("d1", "Shop", "key-1"))
    assert store.snapshot() == Snapshot(
        conversations=(conversations[1], conversations[0]),
        conversation_events=(events[1], events[0]),
        web_sessions=(webs[1], webs[0]),
        web_events=tuple(
            StoredWebEvent("s04", e) for e in (web_events[2], web_events[1], web_events[0])
        ),
        contacts=(contacts[1], contacts[0]),
        identifiers=(identifiers[1], identifiers[0]),
        links=(
            SessionLink("s01", None, 0),
            SessionLink("s02", None, 0),
            SessionLink("s03", "c2", 2),
            SessionLink("s04", "c1", 1),
        ),
        audits=(Audit(T0 + 1, "b", "merge", "c1", {"n": 1}), Audit(T0, "a", "claim", None, {})),
    )
    assert store.snapshot().session_count == 4


def test_clearing_the_projections_keeps_the_log_and_the_configuration(store: Store) -> None:
    with store.transaction():
        for write in WRITES.values():
            write(store)
    before = everything(store)
    with store.transaction():
        store.clear_projections()
    assert store.snapshot() == Snapshot.of(
        conversations=[],
        conversation_events=[],
        web_sessions=[],
        web_events=[],
        contacts=[],
        identifiers=[],
        links=[],
        audits=[],
    )
    assert everything(store)[1:] == before[1:]


# -- driver errors are StoreError, on every public method ------------------------------------

SESSION = conversation(1)
WEB = web_session(2)

#: One call of each public method; the tests below fail for a method that has none here.
CALLS: dict[str, Callable[[Store], object]] = {
    "transaction": lambda s: s.transaction(),
    "savepoint": lambda s: s.savepoint(),
    "append": lambda s: s.append([record("k")]),
    "logged_keys": lambda s: s.logged_keys(["k"]),
    "log_for_partition": lambda s: s.log_for_partition("test", "p"),
    "iter_all_log": lambda s: s.iter_all_log(),
    "log_count": lambda s: s.log_count(),
    "last_unit": lambda s: s.last_unit(),
    "save_conversations": lambda s: save_conversation(s, SESSION, journey_event("s01", 0, T0)),
    "get_session": lambda s: s.get_session("s01"),
    "sessions_for_conversation": lambda s: s.sessions_for_conversation("conv-01"),
    "recent_sessions": lambda s: s.recent_sessions(after=None, page_size=5, contact_ids=["c"]),
    "session_events": lambda s: s.session_events("s01", after=None, page_size=5, names=["x"]),
    "save_web_sessions": lambda s: save_web(s, WEB, web_event("k", T0)),
    "delete_session": lambda s: s.delete_session("s02"),
    "web_session_get": lambda s: s.web_session_get("s02"),
    "web_events_page": lambda s: s.web_events_page("s02", after=None, page_size=5, names=[]),
    "session_of_event": lambda s: s.session_of_event("e"),
    "web_events_of": lambda s: s.web_events_of("cookie-1", "web"),
    "customer_web_sessions": lambda s: s.customer_web_sessions("cookie-1", "web"),
    "web_session_at": lambda s: s.web_session_at("cookie-1", T0),
    "contact_put": lambda s: s.contact_put(contact("c1")),
    "contact_get": lambda s: s.contact_get("c1"),
    "contacts_get": lambda s: s.contacts_get(["c1", "c2"]),
    "definition_put": lambda s: s.definition_put(definition("segment", "g1")),
    "definition_get": lambda s: s.definition_get("segment", "g1"),
    "definition_delete": lambda s: s.definition_delete("segment", "g1"),
    "definitions": lambda s: s.definitions("segment"),
    "definitions_page": lambda s: s.definitions_page("segment", page_number=1, page_size=5),
    "progress_get": lambda s: s.progress_get([("g1", "s01")]),
    "progress_put": lambda s: s.progress_put([("g1", "s01", b"{}")]),
    "assignment_put": lambda s: s.assignment_put(assignment("g1", "s01")),
    "assignment_get": lambda s: s.assignment_get("g1", "s01"),
    "assignments_of": lambda s: s.assignments_of(session_id="s01"),
    "assignments_on": lambda s: s.assignments_on(["s01", "s02"]),
    "achievement_put": lambda s: s.achievement_put(Achievement("o1", "s01", None, T0, None)),
    "achievements_of": lambda s: s.achievements_of("s01"),
    "achievements_on": lambda s: s.achievements_on(["s01", "s02"]),
    "action_put": lambda s: s.action_put(action("a1", "s01")),
    "action_get": lambda s: s.action_get("a1"),
    "actions_of": lambda s: s.actions_of("s01"),
    "assignments_due": lambda s: s.assignments_due(T0),
    "actions_waiting": lambda s: s.actions_waiting("c1"),
    "next_unassignment": lambda s: s.next_unassignment(),
    "journey_events_put": lambda s: s.journey_events_put(
        [RuleEventRow("e1", "s01", T0, "WebActionEvent", b"{}")]
    ),
    "journey_events_page": lambda s: s.journey_events_page(
        "s01", after=None, page_size=5, types=()
    ),
    "customer_actions": lambda s: s.customer_actions(
        "c", session_type="web", states={"qualified"}, media_types={"x"}, active_since_ms=0
    ),
    "contacts_put": lambda s: s.contacts_put([contact("c1")]),
    "customers_with_sessions": lambda s: s.customers_with_sessions(["cookie-1"], "web"),
    "contact_delete": lambda s: s.contact_delete("c1"),
    "contact_members": lambda s: s.contact_members("c1"),
    "contacts_page": lambda s: s.contacts_page(page_number=1, page_size=5),
    "contacts_search": lambda s: s.contacts_search("ada", limit=5),
    "sessions_live": lambda s: s.sessions_live(since_ms=0, limit=5),
    "identifier_get": lambda s: s.identifier_get("Email", "a@x"),
    "identifiers_get": lambda s: s.identifiers_get([("Email", "a@x")]),
    "identifiers_put": lambda s: s.identifiers_put([Identifier("Email", "a@x", "c1", True, T0)]),
    "identifier_put": lambda s: s.identifier_put(Identifier("Email", "a@x", "c1", True, T0)),
    "identifier_delete": lambda s: s.identifier_delete("Email", "a@x"),
    "identifiers_of": lambda s: s.identifiers_of("c1"),
    "move_identifiers": lambda s: s.move_identifiers("c1", "c2"),
    "audit_add": lambda s: s.audit_add(at_ms=T0, actor="a", action="b", contact_id=None, doc={}),
    "audits_of": lambda s: s.audits_of(["c1"]),
    "link_session": lambda s: s.link_session("s01", "c1", 1),
    "session_link": lambda s: s.session_link("s01"),
    "session_links": lambda s: s.session_links(["s01", "s02"]),
    "relink_customer": lambda s: s.relink_customer("cookie-1", "c1", 1, only_from="c2"),
    "relink_contact": lambda s: s.relink_contact("c1", "c2"),
    "contact_activity": lambda s: s.contact_activity("c1"),
    "clear_projections": lambda s: s.clear_projections(),
    "snapshot": lambda s: s.snapshot(),
    "directory_put": lambda s: s.directory_put(DirectoryEntry("queue", "q1", "Sales", T0)),
    "directory_get": lambda s: s.directory_get("queue", "q1"),
    "directory_list": lambda s: s.directory_list("queue", page_number=1, page_size=5, name="S*"),
    "directory_delete": lambda s: s.directory_delete("queue", "q1"),
    "directory_names": lambda s: s.directory_names("queue", ["q1"]),
    "deployment_put": lambda s: s.deployment_put(Deployment("d1", "Shop", "key-1")),
    "deployment_get": lambda s: s.deployment_get("d1"),
    "deployment_by_write_key": lambda s: s.deployment_by_write_key("key-1"),
    "deployments": lambda s: s.deployments(),
    "deployment_delete": lambda s: s.deployment_delete("d1"),
    "deployment_secret_put": lambda s: s.deployment_secret_put("d1", "jlid_x", T0),
    "deployment_secret": lambda s: s.deployment_secret("d1"),
    "client_put": lambda s: s.client_put(OAuthClient("id", "hash", "n", "admin", T0)),
    "client_get": lambda s: s.client_get("id"),
    "clients": lambda s: s.clients(),
    "token_put": lambda s: s.token_put("hash", "id", T0),
    "token_get": lambda s: s.token_get("hash"),
    "client_update": lambda s: s.client_update(OAuthClient("id", "hash", "n", "admin", T0)),
    "client_delete": lambda s: s.client_delete("id"),
    "token_delete": lambda s: s.token_delete("hash"),
    "tokens_revoke": lambda s: s.tokens_revoke("id"),
    "tokens_prune": lambda s: s.tokens_prune(T0),
    "account_put": lambda s: s.account_put(account("u1")),
    "account_get": lambda s: s.account_get("u1"),
    "account_by_email": lambda s: s.account_by_email("a@example.com"),
    "accounts_of": lambda s: s.accounts_of(["u1"]),
    "account_delete": lambda s: s.account_delete("u1"),
    "desktop_session_put": lambda s: s.desktop_session_put(desktop_session("t", "u1")),
    "desktop_session_get": lambda s: s.desktop_session_get("t"),
    "desktop_session_touch": lambda s: s.desktop_session_touch("t", T0, T0),
    "desktop_session_delete": lambda s: s.desktop_session_delete("t"),
    "desktop_sessions_end": lambda s: s.desktop_sessions_end("u1"),
    "desktop_sessions_prune": lambda s: s.desktop_sessions_prune(T0),
    "server_secret": lambda s: s.server_secret("signin", "k", T0),
    "effects_append": lambda s: s.effects_append([envelope(0, 1)]),
    "effects_after": lambda s: s.effects_after(Cursor(), limit=5),
    "effects_prune": lambda s: s.effects_prune(T0),
    "partition_positions": lambda s: s.partition_positions(),
    "partition_positions_put": lambda s: s.partition_positions_put({0: (1, 1)}),
    "deadlines_put": lambda s: s.deadlines_put([("s01", "conversation", T0)]),
    "deadlines_due": lambda s: s.deadlines_due(T0),
    "next_deadline": lambda s: s.next_deadline(),
    "flow_put": lambda s: s.flow_put(Flow("f1", "Hook", "https://example.com/h")),
    "flow_get": lambda s: s.flow_get("f1"),
    "flows_page": lambda s: s.flows_page(page_number=1, page_size=5),
    "flow_delete": lambda s: s.flow_delete("f1"),
    "flow_secret_put": lambda s: s.flow_secret_put("f1", "whsec_x", T0),
    "flow_secret": lambda s: s.flow_secret("f1"),
    "outbox_put": lambda s: s.outbox_put(Delivery("msg_1", "f1", b"{}", T0, T0)),
    "outbox_get": lambda s: s.outbox_get("msg_1"),
    "outbox_due": lambda s: s.outbox_due(T0, limit=5),
    "outbox_next_due": lambda s: s.outbox_next_due(),
    "outbox_update": lambda s: s.outbox_update(Delivery("msg_1", "f1", b"{}", T0, T0)),
    "deadletters_page": lambda s: s.deadletters_page(page_number=1, page_size=5),
    "outbox_replay": lambda s: s.outbox_replay(["msg_1"], T0),
    "outbox_counts": lambda s: s.outbox_counts(),
    "sessions_of_people": lambda s: s.sessions_of_people(contact_ids=["c1"], cookies=["k"]),
    "log_entries": lambda s: s.log_entries("test", "p"),
    "log_erase": lambda s: s.log_erase(partition_keys={"p": "erased:1"}, keys=["k"]),
    "erase_projections": lambda s: s.erase_projections(contact_ids=["c1"], session_ids=["s1"]),
    "effects_erase": lambda s: s.effects_erase(["c1"]),
    "outbox_erase": lambda s: s.outbox_erase(["c1"]),
    "log_naming": lambda s: s.log_naming("web.event", ['"a@x.example"']),
    "web_event_rewrite": lambda s: s.web_event_rewrite("k", b"{}"),
    "audit_entries": lambda s: s.audit_entries(),
    "audits_delete": lambda s: s.audits_delete([1]),
    "erased_customers_put": lambda s: s.erased_customers_put(["d"], 1),
    "erased_customers_among": lambda s: s.erased_customers_among(["d"], 1),
    "erased_customers_any": lambda s: s.erased_customers_any(1),
    "erased_customers_prune": lambda s: s.erased_customers_prune(1),
    "reclaim_erased": lambda s: s.reclaim_erased(),
    "contacts_expired": lambda s: s.contacts_expired(T0),
    "next_contact_expiry": lambda s: s.next_contact_expiry(),
}
# -- effects, partitions, deadlines ----------------------------------------------------------


def envelope(partition: int, position: int, *, at_ms: int = T0) -> Envelope:
    return Envelope(
        partition, position, 1, at_ms, SessionRemoved(f"s-{partition}-{position}", "web")
    )


def test_effects_are_read_back_in_commit_order_after_a_cursor(store: Store) -> None:
    written = [envelope(3, 1), envelope(0, 1), envelope(3, 2), envelope(0, 2), envelope(5, 1)]
    with store.transaction():
        store.effects_append(written[:3])
    with store.transaction():
        store.effects_append(written[3:])
    assert store.effects_after(Cursor(), limit=100) == written
    assert store.effects_after(Cursor(), limit=2) == written[:2]
    cursor = Cursor().after(written[0]).after(written[1])
    assert store.effects_after(cursor, limit=100) == written[2:]
    assert store.effects_after(cursor.after(written[4]), limit=100) == written[2:4]


def test_a_position_is_given_once_in_its_partition(store: Store) -> None:
    with store.transaction():
        store.effects_append([envelope(1, 1)])
    with pytest.raises(StoreError), store.transaction():
        store.effects_append([envelope(1, 1)])
    assert store.effects_after(Cursor(), limit=100) == [envelope(1, 1)]


def test_every_kind_of_effect_is_stored_and_read_back(store: Store) -> None:
    from journeyline.model import effects as fx
    from journeyline.model.card import Card, Ref, WebCard

    card = Card("blue", "Inbound call", "call", 5, Ref("q", "Sales"), None, "Waiting", None)
    web_card = WebCard("gray", "Web session", "web", 9, "Ended", "Ann", None, None, 2, ("a",))
    person = contact("c1")
    samples: list[fx.Effect] = [
        fx.SessionStarted("s1", "conversation", "c1", card),
        fx.SessionChanged("s2", "web", None, web_card, web_card, "time"),
        fx.SessionRemoved("s3", "app"),
        fx.JourneyEventAdded("s1", "e1", "routed", "Conversation", "conversation", T0, {"a": 1}),
        fx.JourneyEventChanged("s1", "e1", "routed", T0, {"a": "b"}),
        fx.JourneyEventRemoved("s1", "e1"),
        fx.ContactCreated(person),
        fx.ContactChanged(person, replace(person, first_name="Ann")),
        fx.ContactDeleted("c1"),
        fx.ContactMerged("c9", ("c1", "c2")),
        fx.ContactUnmerged("c9", ("c1", "c2")),
        fx.ContactVerified("c1", "s1", "cookie", "agent-1"),
        fx.IdentifierClaimed(Identifier("Email", "a@x", "c1", True, T0), "c2"),
        fx.IdentifierReleased("Email", "a@x", "c1"),
        fx.SegmentAssigned("g1", "c1", "s1", "c1", T0, T0 + 86_400_000),
        fx.SegmentUnassigned("g1", "c1", "s1", "c1", T0 + 86_400_000, "expired"),
        fx.OutcomeAchieved("o1", "s1", None, T0, 12.5),
        fx.ActionQualified("a1", "m1", 2, "architectFlow", "s1", "c1", "event:e1", T0),
        fx.ActionBlocked("a2", "m2", 1, "contentOffer", "s1", "c1", "FrequencyCapping", T0),
        fx.ActionChanged(
            "a1", "m1", 2, "contentOffer", "s1", None, "offered", "errored", T0, "E1", "x"
        ),
        fx.Erased(),
    ]
    assert {type(e) for e in samples} == set(fx.EFFECT_TYPES)
    written = [Envelope(0, n, 1, T0, e) for n, e in enumerate(samples, 1)]
    with store.transaction():
        store.effects_append(written)
    assert store.effects_after(Cursor(), limit=100) == written


def test_paging_effects_from_any_cursor_gives_each_once_in_commit_order(store: Store) -> None:
    written = [envelope(n % 3, n // 3 + 1) for n in range(600)]  # three partitions, interleaved
    with store.transaction():
        store.effects_append(written)
    for start in (Cursor(), Cursor((150, 0, 40, *(0,) * 13))):
        expected = [e for e in written if not start.seen(e)]
        got: list[Envelope] = []
        cursor = start
        while page := store.effects_after(cursor, limit=64):
            got += page
            for e in page:
                cursor = cursor.after(e)
        assert got == expected


def test_pruning_cuts_a_prefix_in_short_steps(store: Store) -> None:
    with store.transaction():
        store.effects_append([envelope(n % 2, n // 2 + 1, at_ms=T0 + n) for n in range(25)])
    with store.transaction():
        assert store.effects_prune(T0 + 20, limit=8) == 8
        assert store.effects_prune(T0 + 20, limit=8) == 8
        assert store.effects_prune(T0 + 20, limit=8) == 4  # up to the last one before T0+20
        assert store.effects_prune(T0 + 20, limit=8) == 0
    left = store.effects_after(Cursor(), limit=100)
    assert [e.at_ms for e in left] == [T0 + n for n in range(20, 25)]


def test_effects_are_pruned_by_age(store: Store) -> None:
    with store.transaction():
        store.effects_append([envelope(0, 1, at_ms=T0), envelope(0, 2, at_ms=T0 + 10)])
        assert store.effects_prune(T0 + 10) == 1
    assert store.effects_after(Cursor(), limit=100) == [envelope(0, 2, at_ms=T0 + 10)]


def test_partition_positions_are_upserted(store: Store) -> None:
    assert store.partition_positions() == {}
    with store.transaction():
        store.partition_positions_put({0: (3, 1), 7: (1, 1)})
        store.partition_positions_put({0: (5, 2)})
    assert store.partition_positions() == {0: (5, 2), 7: (1, 1)}


def test_deadlines_come_due_in_order_and_go(store: Store) -> None:
    with store.transaction():
        store.deadlines_put([("b", "web", T0 + 20), ("a", "conversation", T0 + 10)])
        store.deadlines_put([("c", "app", T0 + 30), ("b", "web", T0 + 5)])  # b moves earlier
    assert store.next_deadline() == T0 + 5
    assert store.deadlines_due(T0 + 10) == [("b", "web", T0 + 5), ("a", "conversation", T0 + 10)]
    with store.transaction():
        store.deadlines_put([("b", "web", None), ("a", "conversation", None)])
    assert store.deadlines_due(T0 + 100) == [("c", "app", T0 + 30)]
    with store.transaction():
        store.clear_projections()  # deadlines are a projection: a replay makes them again
    assert store.next_deadline() is None


# -- flows and their outbox ------------------------------------------------------------------


def test_flows_are_listed_by_name_and_their_secrets_kept_apart(store: Store) -> None:
    flows = [
        Flow(f"f{n}", name, f"https://example.com/{n}", None, T0, T0)
        for n, name in enumerate(["b", "a", "c"])
    ]
    with store.transaction():
        for flow in flows:
            store.flow_put(flow)
        store.flow_secret_put("f0", "whsec_one", T0)
    assert store.flows_page(page_number=1, page_size=2) == ([flows[1], flows[0]], 3)
    assert store.flows_page(page_number=2, page_size=2) == ([flows[2]], 3)
    renamed = replace(flows[0], name="z", url="https://example.org/", modified_ms=T0 + 1)
    with store.transaction():
        store.flow_put(renamed)
        store.flow_secret_put("f0", "whsec_two", T0 + 1)  # rotation replaces it
    assert store.flow_get("f0") == renamed
    assert store.flow_secret("f0") == "whsec_two"
    assert store.flow_secret("f1") is None
    with store.transaction():
        assert store.flow_delete("f0")
        assert not store.flow_delete("f0")
    assert store.flow_get("f0") is None
    assert store.flow_secret("f0") is None  # the secret goes with its flow


def test_outbox_put_is_idempotent_by_id(store: Store) -> None:
    first = Delivery("msg_1", "f1", b'{"n": 1}', T0, T0)
    with store.transaction():
        assert store.outbox_put(first)
        assert not store.outbox_put(replace(first, body=b'{"n": 2}', created_ms=T0 + 5))
    assert store.outbox_get("msg_1") == first
    with store.transaction():
        store.outbox_update(replace(first, state="delivered", attempts=1, last_status=200))
        assert not store.outbox_put(first)  # a replay of the decision: delivered stays so
    assert store.outbox_get("msg_1") == replace(
        first, state="delivered", attempts=1, last_status=200
    )
    assert store.outbox_get("nothing") is None


def test_pending_deliveries_come_due_earliest_first(store: Store) -> None:
    deliveries = [
        Delivery("msg_b", "f1", b"{}", T0, T0 + 20),
        Delivery("msg_a", "f1", b"{}", T0, T0 + 10),
        Delivery("msg_c", "f1", b"{}", T0, T0 + 30),
        Delivery("msg_d", "f1", b"{}", T0, T0, state="dead"),
        Delivery("msg_e", "f1", b"{}", T0, T0, state="delivered"),
    ]
    with store.transaction():
        for delivery in deliveries:
            store.outbox_put(delivery)
    assert store.outbox_next_due() == T0 + 10
    assert store.outbox_due(T0 + 20, limit=10) == [deliveries[1], deliveries[0]]
    assert store.outbox_due(T0 + 30, limit=1) == [deliveries[1]]
    tried = replace(
        deliveries[1],
        attempts=1,
        next_attempt_ms=T0 + 50,
        last_status=500,
        last_error="HTTP 500",
        last_attempt_ms=T0 + 10,
    )
    with store.transaction():
        store.outbox_update(tried)
    assert store.outbox_get("msg_a") == tried
    assert store.outbox_next_due() == T0 + 20
    with store.transaction():
        for delivery in deliveries[:3]:
            store.outbox_update(replace(delivery, state="delivered"))
    assert store.outbox_next_due() is None
    assert store.outbox_due(T0 + 1000, limit=10) == []


def test_dead_letters_page_last_tried_first_and_replay(store: Store) -> None:
    dead = [
        Delivery(f"msg_{n}", "f1", b"{}", T0, T0, 5, "dead", 500, "HTTP 500", T0 + n)
        for n in range(3)
    ]
    with store.transaction():
        for delivery in dead:
            store.outbox_put(delivery)
        store.outbox_put(Delivery("msg_p", "f1", b"{}", T0, T0))
    assert store.deadletters_page(page_number=1, page_size=2) == ([dead[2], dead[1]], 3)
    assert store.deadletters_page(page_number=2, page_size=2) == ([dead[0]], 3)
    with store.transaction():
        assert store.outbox_replay(["msg_1", "msg_p", "nothing"], T0 + 100) == ["msg_1"]
        assert store.outbox_replay([], T0 + 100) == []
    assert store.outbox_get("msg_1") == replace(
        dead[1], state="pending", attempts=0, next_attempt_ms=T0 + 100
    )
    with store.transaction():
        assert store.outbox_replay(None, T0 + 200) == ["msg_0", "msg_2"]
    assert store.deadletters_page(page_number=1, page_size=10) == ([], 0)
    assert [d.id for d in store.outbox_due(T0 + 200, limit=10)] == [
        "msg_p",
        "msg_1",
        "msg_0",
        "msg_2",
    ]


def test_the_outbox_counts_its_pending_deliveries_and_dead_letters(store: Store) -> None:
    assert store.outbox_counts() == {"pending": 0, "dead": 0}
    states = ["pending", "pending", "pending", "dead", "dead", "delivered"]
    with store.transaction():
        for n, state in enumerate(states):
            store.outbox_put(Delivery(f"msg_{n}", "f1", b"{}", T0, T0 + n, state=state))
    assert store.outbox_counts() == {"pending": 3, "dead": 2}
    with store.transaction():
        store.outbox_update(Delivery("msg_0", "f1", b"{}", T0, T0, 1, "delivered", 200))
        store.outbox_replay(["msg_3"], T0)
    assert store.outbox_counts() == {"pending": 3, "dead": 1}


def test_a_rebuild_keeps_flows_and_the_outbox(store: Store) -> None:
    with store.transaction():
        store.flow_put(Flow("f1", "Hook", "https://example.com/h"))
        store.flow_secret_put("f1", "whsec_x", T0)
        store.outbox_put(Delivery("msg_1", "f1", b"{}", T0, T0))
        store.clear_projections()
    assert store.flow_secret("f1") == "whsec_x"
    assert store.outbox_get("msg_1") is not None


# -- right to erasure and expiry ---------------------------------------------------------------


def test_a_tombstone_keeps_the_key_place_unit_and_time_and_nothing_else(store: Store) -> None:
    with store.transaction():
        store.append([record("a", partition="web:cookie-1"), record("b", partition="conv-1")])
        store.append([record("c", partition="identity", kind="identity.command", unit=2)])
        store.append([record("d", partition="web:cookie-2", unit=3)])
        erased = store.log_erase(partition_keys={"web:cookie-1": "erased:7"}, keys=["c"])
    assert erased == 2
    assert list(store.iter_all_log()) == [
        LogRecord("a", ERASED_KIND, "erased:7", T0, b"{}", 1),
        record("b", partition="conv-1"),
        LogRecord("c", ERASED_KIND, "identity", T0, b"{}", 2),
        record("d", partition="web:cookie-2", unit=3),
    ]
    with store.transaction():
        assert store.append([record("a", partition="web:cookie-1")]) == set()  # still known
        assert store.log_erase(partition_keys={"erased:7": "erased:7"}, keys=["c"]) == 0
    assert store.log_entries("test", "conv-1") == [("b", record("b").body)]
    assert store.log_for_partition("test", "web:cookie-1") == []


def test_an_erased_effect_keeps_its_partition_and_position(store: Store) -> None:
    from journeyline.model.effects import ContactDeleted, Erased

    written = [
        Envelope(2, 1, 1, T0, ContactDeleted("c-gone")),
        Envelope(2, 2, 1, T0, ContactDeleted("c-kept")),
        Envelope(5, 1, 1, T0, SessionRemoved("s-gone", "web")),
    ]
    with store.transaction():
        store.effects_append(written)
        assert store.effects_erase(["c-gone", "s-gone", "nobody"]) == 2
    assert store.effects_after(Cursor(), limit=10) == [
        Envelope(2, 1, 1, T0, Erased()),
        written[1],
        Envelope(5, 1, 1, T0, Erased()),
    ]


def test_an_erasure_drops_the_deliveries_that_name_the_person(store: Store) -> None:
    with store.transaction():
        store.outbox_put(Delivery("msg_1", "f1", b'{"contactId": "c-gone"}', T0, T0))
        store.outbox_put(Delivery("msg_2", "f1", b'{"contactId": "c-kept"}', T0, T0))
        store.outbox_put(Delivery("msg_3", "f1", b'{"sessionId": "s-gone"}', T0, T0, 1, "dead"))
        assert store.outbox_erase(["c-gone", "s-gone", "50%_off"]) == 2
    assert store.outbox_get("msg_1") is None
    assert store.outbox_get("msg_3") is None
    assert store.outbox_get("msg_2") is not None


def test_an_erasure_deletes_the_persons_sessions_and_contacts_with_what_hangs_on_them(
    store: Store,
) -> None:
    with store.transaction():
        save_conversation(store, conversation(1), journey_event("s01", 1, T0))
        save_web(store, web_session(2), web_event("k2", T0), contact="c1")
        save_web(store, web_session(3, cookie="cookie-3"), web_event("k3", T0), contact="c2")
        store.link_session("s01", "c1", 1)
        store.contacts_put([contact("c1"), contact("c2")])
        store.identifiers_put([Identifier("Email", "a@x", "c1", True, T0)])
        store.audit_add(at_ms=T0, actor="a", action="claim", contact_id="c1", doc={})
        store.deadlines_put([("s02", "web", T0 + 1)])
    assert store.sessions_of_people(contact_ids=["c1"]) == [
        ("s01", "conversation", "conv-01"),
        ("s02", "web", "web:cookie-1"),
    ]
    assert store.sessions_of_people(cookies=["cookie-3"], conversation_ids=["conv-01"]) == [
        ("s01", "conversation", "conv-01"),
        ("s03", "web", "web:cookie-3"),
    ]
    with store.transaction():
        store.erase_projections(contact_ids=["c1"], session_ids=["s01", "s02"])
    assert store.get_session("s01") is None
    assert store.web_session_get("s02") is None
    assert store.session_events("s01", after=None, page_size=5, names=()).items == []
    assert store.contact_get("c1") is None
    assert store.identifier_get("Email", "a@x") is None
    assert store.audits_of(["c1"]) == []
    assert store.next_deadline() is None
    assert store.web_session_get("s03") is not None
    assert store.contact_get("c2") is not None


def test_contacts_expire_sixty_days_after_their_last_activity_unless_kept(store: Store) -> None:
    day = 86_400_000
    ephemeral = Contact("e1", "Ephemeral", T0, T0, T0 + day)
    identified = Contact("i1", "Identified", T0, T0, T0 + 2 * day)
    member = Contact("m1", "Identified", T0, T0, T0, canonical_id="h1")
    head = Contact("h1", "Identified", T0, T0, T0, merged_from=("m1",))
    with store.transaction():
        store.contacts_put([ephemeral, identified, member, head, contact("k1")])
    assert store.next_contact_expiry() == T0 + 61 * day  # a member waits for its head
    assert store.contacts_expired(T0 + 61 * day) == []
    assert store.contacts_expired(T0 + 62 * day + 1) == [ephemeral, identified]
    page, total = store.contacts_page(page_number=1, page_size=10, now_ms=T0 + 61 * day + 1)
    assert sorted(c.id for c in page) == ["h1", "i1", "k1"]
    assert total == 3
    assert store.contacts_page(page_number=1, page_size=10)[1] == 5


#: Methods that touch no table: covered by the closed-store test alone.
def test_an_erased_customers_refusal_holds_until_its_end_and_is_pruned_then(store: Store) -> None:
    assert not store.erased_customers_any(T0)
    with store.transaction():
        store.erased_customers_put(["d1", "d2"], T0)
        store.erased_customers_put(["d2"], T0 + 10)  # erased again: the later end holds
    assert store.erased_customers_among(["d1", "d2", "d3"], T0 - 1) == {"d1", "d2"}
    assert store.erased_customers_among(["d1", "d2"], T0) == {"d2"}
    assert store.erased_customers_any(T0 + 9)
    assert not store.erased_customers_any(T0 + 10)
    with store.transaction():
        assert store.erased_customers_prune(T0 + 1) == 1
    assert store.erased_customers_among(["d1", "d2"], T0 - 1) == {"d2"}


NO_TABLES = {"transaction", "savepoint", "close", "reclaim_erased"}
METHODS = sorted(methods_of(Store))


def call(store: Store, name: str) -> None:
    """Call ``name`` as a caller would: iterate what it yields, enter what it opens."""
    assert name in CALLS, f"add a sample call of Store.{name} to CALLS"
    result = CALLS[name](store)
    if isinstance(result, AbstractContextManager):
        with result:
            pass
    elif isinstance(result, Iterator):
        list(result)


def assert_translated(caught: pytest.ExceptionInfo[StoreError]) -> None:
    cause = caught.value.__cause__
    assert cause is not None
    assert not isinstance(cause, JourneylineError)


@pytest.mark.parametrize("name", [m for m in METHODS if m not in NO_TABLES])
def test_every_method_raises_store_error_when_its_tables_are_gone(
    store: Store, url: str, name: str
) -> None:
    call(store, "log_count")  # the connection is open and has read the schema
    sabotage.drop_tables(url)
    with pytest.raises(StoreError) as caught:
        call(store, name)
    assert_translated(caught)


@pytest.mark.parametrize("name", [m for m in METHODS if m != "close"])
def test_every_method_raises_store_error_once_the_store_is_closed(store: Store, name: str) -> None:
    store.close()
    with pytest.raises(StoreError) as caught:
        call(store, name)
    assert_translated(caught)


def test_every_method_of_the_protocol_has_a_sample_call() -> None:
    assert sorted(set(METHODS) - NO_TABLES - set(CALLS)) == []
    assert sorted(set(CALLS) - set(METHODS)) == []
