"""The delivery worker against a real receiver on 127.0.0.1 and a real SQLite outbox.

The worker's rounds are driven by hand (``deliver_due``) on a clock the test moves, so the
retry schedule is checked without sleeping through it; the last tests run its thread, woken by
the writer's commits.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from builders import accepted, answered
from conftest import FakeClock
from flow_receiver import Answer, Receiver, running_receiver
from journeyline.engine.delivery import DeliveryWorker
from journeyline.engine.effects import Dispatcher, UnitView
from journeyline.engine.flows import delivery_id_for, enqueue_flow, new_secret
from journeyline.engine.inputs import Input
from journeyline.engine.retries import RetryPolicy
from journeyline.engine.unit import Engine
from journeyline.engine.writer import Writer
from journeyline.model.effects import Effect, JourneyEventAdded
from journeyline.model.flows import Delivery, Flow
from journeyline.store import open_store
from journeyline.store.base import Store

TIMEOUT_MS = 300


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def now() -> FakeClock:
    """Near the real time: receivers refuse signatures more than five minutes off."""
    return FakeClock(int(time.time() * 1000))


def add_flow(store: Store, url: str, flow_id: str = "f1") -> str:
    secret = new_secret()
    with store.transaction():
        store.flow_put(Flow(flow_id, "Hook", url))
        store.flow_secret_put(flow_id, secret, 0)
    return secret


def enqueue(store: Store, clock: FakeClock, n: int = 1, flow_id: str = "f1") -> str:
    delivery_id = delivery_id_for("test", str(n))
    with store.transaction():
        enqueue_flow(
            store, delivery_id=delivery_id, flow_id=flow_id, payload={"n": n}, now_ms=clock()
        )
    return delivery_id


def worker(
    store_url: str, clock: FakeClock, *, attempts: int = 5, check_seconds: float = 5.0
) -> DeliveryWorker:
    return DeliveryWorker(
        lambda: open_store(store_url),
        clock,
        policy=RetryPolicy(base_ms=1000, max_attempts=attempts),
        timeout_ms=TIMEOUT_MS,
        allow_private=True,  # the receiver is on 127.0.0.1
        rng=random.Random(7),
        check_seconds=check_seconds,
    )


def test_failures_timeouts_and_retry_after_then_delivered_once_with_one_id(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    secret = add_flow(store, receiver.url)
    delivery_id = enqueue(store, now)
    receiver.script = [
        Answer(500),
        Answer(503, delay=TIMEOUT_MS / 1000 + 0.3),  # later than the worker waits
        Answer(429, {"Retry-After": "30"}),
    ]
    w = worker(store_url, now)
    try:
        assert w.deliver_due() == 1
        first = store.outbox_get(delivery_id)
        assert first is not None
        assert (first.state, first.attempts, first.last_status) == ("pending", 1, 500)
        assert now() + 750 <= first.next_attempt_ms <= now() + 1000  # base, with jitter
        assert w.deliver_due() == 0  # not due yet

        now.advance(1)
        assert w.deliver_due() == 1
        second = store.outbox_get(delivery_id)
        assert second is not None
        assert (second.attempts, second.last_status) == (2, None)
        assert second.last_error == f"no answer within {TIMEOUT_MS} ms"
        assert now() + 1500 <= second.next_attempt_ms <= now() + 2000  # doubled

        now.advance(2)
        assert w.deliver_due() == 1
        third = store.outbox_get(delivery_id)
        assert third is not None
        assert (third.attempts, third.last_status) == (3, 429)
        assert third.next_attempt_ms == now() + 30_000  # Retry-After beats the backoff (4 s)
        now.advance(29)
        assert w.deliver_due() == 0

        now.advance(1)
        assert w.deliver_due() == 1
    finally:
        w.close()
    done = store.outbox_get(delivery_id)
    assert done is not None
    assert (done.state, done.attempts, done.last_status, done.last_error) == (
        "delivered",
        4,
        200,
        None,
    )
    assert receiver.ids() == [delivery_id] * 4  # one webhook-id on every try
    assert all(r.verifies(secret) for r in receiver.received)
    assert {r.body for r in receiver.received} == {b'{"n":1}'}
    assert len({r.headers["webhook-timestamp"] for r in receiver.received}) == 4  # signed anew


def test_retry_after_as_an_http_date(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    add_flow(store, receiver.url)
    delivery_id = enqueue(store, now)
    when = datetime.fromtimestamp(now() / 1000 + 120, UTC)
    receiver.script = [Answer(503, {"Retry-After": format_datetime(when, usegmt=True)})]
    w = worker(store_url, now)
    try:
        w.deliver_due()
    finally:
        w.close()
    tried = store.outbox_get(delivery_id)
    assert tried is not None
    assert tried.next_attempt_ms == pytest.approx(now() + 120_000, abs=1000)


def test_the_last_failed_try_makes_a_dead_letter(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    add_flow(store, receiver.url)
    delivery_id = enqueue(store, now)
    receiver.default = Answer(502)
    w = worker(store_url, now, attempts=3)
    try:
        for _ in range(3):
            assert w.deliver_due() == 1
            now.advance(10)
        assert w.deliver_due() == 0
    finally:
        w.close()
    dead = store.outbox_get(delivery_id)
    assert dead is not None
    assert (dead.state, dead.attempts, dead.last_status) == ("dead", 3, 502)
    assert dead.last_error is not None
    assert dead.last_error.endswith("(gave up after 3 tries)")
    assert store.deadletters_page(page_number=1, page_size=10) == ([dead], 1)
    assert receiver.ids() == [delivery_id] * 3


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_another_4xx_or_a_redirect_is_dead_at_once(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver, status: int
) -> None:
    add_flow(store, receiver.url)
    delivery_id = enqueue(store, now)
    receiver.default = Answer(status, {"Location": "http://127.0.0.1:1/"})
    w = worker(store_url, now)
    try:
        w.deliver_due()
    finally:
        w.close()
    dead = store.outbox_get(delivery_id)
    assert dead is not None
    assert (dead.state, dead.attempts, dead.last_status) == ("dead", 1, status)
    assert receiver.ids() == [delivery_id]  # the redirect was not followed


def test_deliveries_one_after_another_share_one_kept_connection(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    """The answer's body is read, so its connection goes back to the pool for the next
    delivery: no new connection (and host lookup) per delivery."""
    add_flow(store, receiver.url)
    w = worker(store_url, now)
    try:
        for n in range(1, 4):
            enqueue(store, now, n)
            assert w.deliver_due() == 1
    finally:
        w.close()
    assert len(receiver.received) == 3
    assert len({r.connection for r in receiver.received}) == 1


def test_each_try_is_recorded_as_it_ends_not_after_a_stalled_one(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    """A round records the tries that have ended while another one is still waiting for its
    receiver (those that ended together in one commit, not all at the end of the round)."""
    add_flow(store, receiver.url)
    ids = [enqueue(store, now, n) for n in range(1, 4)]
    stall = threading.Event()
    receiver.script = [Answer(200, hold=stall)]  # the first to arrive waits; the others not
    w = DeliveryWorker(lambda: open_store(store_url), now, timeout_ms=10_000, allow_private=True)
    thread = threading.Thread(target=w.deliver_due)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            states = sorted(d.state for d in map(store.outbox_get, ids) if d is not None)
            if states == ["delivered", "delivered", "pending"]:
                break  # two recorded while the third is still on its way
            assert time.monotonic() < deadline, states
            time.sleep(0.01)
    finally:
        stall.set()
        thread.join(10)
        w.close()
    assert [d.state for d in map(store.outbox_get, ids) if d is not None] == ["delivered"] * 3


def test_a_refused_connection_is_tried_again(store: Store, store_url: str, now: FakeClock) -> None:
    with running_receiver() as gone:
        url = gone.url
    add_flow(store, url)  # nothing listens there any more
    delivery_id = enqueue(store, now)
    w = worker(store_url, now)
    try:
        w.deliver_due()
    finally:
        w.close()
    tried = store.outbox_get(delivery_id)
    assert tried is not None
    assert (tried.state, tried.attempts) == ("pending", 1)
    assert tried.last_error is not None
    assert tried.last_error.startswith("connection failed")


def test_a_private_target_is_refused_at_delivery_without_the_setting(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    add_flow(store, receiver.url)  # as if it had been public when registered
    delivery_id = enqueue(store, now)
    w = DeliveryWorker(lambda: open_store(store_url), now, allow_private=False)
    try:
        w.deliver_due()
    finally:
        w.close()
    dead = store.outbox_get(delivery_id)
    assert dead is not None
    assert dead.state == "dead"
    assert "loopback" in (dead.last_error or "")
    assert receiver.ids() == []


def test_a_private_name_is_refused_at_delivery_when_it_resolves_so(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    """DNS changed since registration: the name now points inside."""
    add_flow(store, receiver.url.replace("127.0.0.1", "hooks.example.com"))
    delivery_id = enqueue(store, now)
    w = DeliveryWorker(lambda: open_store(store_url), now, resolver=lambda host, port: ["10.1.2.3"])
    try:
        w.deliver_due()
    finally:
        w.close()
    dead = store.outbox_get(delivery_id)
    assert dead is not None
    assert dead.state == "dead"
    assert "hooks.example.com resolves to 10.1.2.3" in (dead.last_error or "")


def test_a_deleted_flow_makes_its_deliveries_dead(
    store: Store, store_url: str, now: FakeClock
) -> None:
    delivery_id = enqueue(store, now, flow_id="nobody")
    w = worker(store_url, now)
    try:
        w.deliver_due()
    finally:
        w.close()
    dead = store.outbox_get(delivery_id)
    assert dead is not None
    assert (dead.state, dead.last_error) == ("dead", "the flow was deleted")


def test_rotation_changes_the_signing_key(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    old = add_flow(store, receiver.url)
    enqueue(store, now, 1)
    w = worker(store_url, now)
    try:
        w.deliver_due()
        new = new_secret()
        with store.transaction():
            store.flow_secret_put("f1", new, now())
        enqueue(store, now, 2)
        w.deliver_due()
    finally:
        w.close()
    before, after = receiver.received
    assert before.verifies(old)
    assert not before.verifies(new)
    assert after.verifies(new)
    assert not after.verifies(old)


def test_a_replayed_decision_queues_nothing_twice(store: Store, now: FakeClock) -> None:
    causes = ("map-1", "session-1", "event-1")
    assert delivery_id_for(*causes) == delivery_id_for(*causes)
    assert delivery_id_for(*causes) != delivery_id_for("map-1", "session-1", "event-2")
    for _ in range(2):
        with store.transaction():
            enqueue_flow(
                store,
                delivery_id=delivery_id_for(*causes),
                flow_id="f1",
                payload={"b": 1, "a": [1, 2]},
                now_ms=now(),
            )
        now.advance(5)
    [pending] = store.outbox_due(now(), limit=10)
    assert pending == Delivery(
        delivery_id_for(*causes), "f1", b'{"a":[1,2],"b":1}', now() - 10_000, now() - 10_000
    )


# -- the thread, woken by the writer's commits --------------------------------------------------


def test_a_decision_and_its_delivery_commit_together_and_wake_the_worker(
    store_url: str, receiver: Receiver
) -> None:
    """An in-transaction subscriber (as the action-map evaluator will be) puts a delivery per
    journey event; the writer's commit wakes the worker, long before its next check."""
    write_store = open_store(store_url)
    secret = add_flow(write_store, receiver.url)

    def evaluator(unit: UnitView) -> list[tuple[int, Effect]]:
        for _, effect in unit.effects:
            if isinstance(effect, JourneyEventAdded):
                enqueue_flow(
                    unit.store,
                    delivery_id=delivery_id_for("map", effect.session_id, effect.event_id),
                    flow_id="f1",
                    payload={"event": effect.event_name},
                    now_ms=unit.now_ms,
                )
        return []

    clock = FakeClock(int(time.time() * 1000))
    engine = Engine(write_store, clock)
    engine.in_transaction.append(evaluator)
    dispatcher = Dispatcher(lambda: open_store(store_url))
    writer = Writer(engine, dispatcher=dispatcher)
    w = worker(store_url, clock, check_seconds=60.0)
    dispatcher.subscribe("flows", w.on_commit)
    w.start()
    started = time.monotonic()
    try:
        future = threading.Thread(target=lambda: _submit(writer, accepted(answered())))
        future.start()
        future.join(10)
        receiver.wait_for(2, timeout=10)  # routed, connected
        assert time.monotonic() - started < 5  # woken, not the 60 s check
    finally:
        w.close()
        writer.close()
        dispatcher.close()
    assert sorted(r.body for r in receiver.received) == [
        b'{"event":"connected"}',
        b'{"event":"routed"}',
    ]
    assert all(r.verifies(secret) for r in receiver.received)
    assert write_store.outbox_next_due() is None  # all delivered
    write_store.close()


def _submit(writer: Writer, inputs: Sequence[Input]) -> None:
    asyncio.run(writer.submit(inputs))


def test_in_the_server_the_tries_are_recorded_by_the_writer_and_never_left_waiting(
    store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    """The worker records its tries through ``Writer.run`` (on the writer's connection,
    queued with its units); once the writer has stopped, a record is refused at once rather
    than left waiting, and the delivery stays pending to be sent again."""
    write_store = open_store(store_url)
    writer = Writer(Engine(write_store, now))
    made = open_store(store_url)
    try:
        add_flow(made, receiver.url)
        first, second = enqueue(made, now, 1), enqueue(made, now, 2)
    finally:
        made.close()
    recorded: list[int] = []

    def record(put: Callable[[Store], None]) -> None:
        recorded.append(1)
        writer.run(put)

    w = DeliveryWorker(
        lambda: open_store(store_url),
        now,
        timeout_ms=TIMEOUT_MS,
        allow_private=True,
        record=record,
    )
    try:
        assert w.deliver_due() == 2
        assert recorded  # through the writer ...
        store = open_store(store_url)
        try:
            tried = [store.outbox_get(i) for i in (first, second)]
            assert [d.state if d else None for d in tried] == ["delivered", "delivered"]
        finally:
            store.close()
        writer.close()
        third = _enqueue_again(store_url, now)
        with pytest.raises(RuntimeError, match="writer has stopped"):
            w.deliver_due()
        store = open_store(store_url)
        try:
            pending = store.outbox_get(third)
            assert pending is not None
            assert pending.state == "pending"  # not recorded: it will be sent again
        finally:
            store.close()
    finally:
        w.close()
        write_store.close()


def _enqueue_again(store_url: str, clock: FakeClock) -> str:
    store = open_store(store_url)
    try:
        return enqueue(store, clock, 3)
    finally:
        store.close()


def test_a_stalled_receiver_does_not_hold_up_a_delivery_due_after_it(
    store: Store, store_url: str, now: FakeClock, receiver: Receiver
) -> None:
    """While one try waits for a stalled receiver, a delivery that comes due meanwhile is
    started and delivered: a round does not wait for its slowest receiver."""
    add_flow(store, receiver.url)
    first = enqueue(store, now, 1)
    stall = threading.Event()
    receiver.script = [Answer(200, hold=stall)]  # the first to arrive waits
    w = DeliveryWorker(lambda: open_store(store_url), now, timeout_ms=10_000, allow_private=True)
    thread = threading.Thread(target=w.deliver_due)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not receiver.received:  # the first try is on its way, and stalled
            assert time.monotonic() < deadline
            time.sleep(0.01)
        second = enqueue(store, now, 2)  # due now, while the first still waits
        while True:
            found = store.outbox_get(second)
            if found is not None and found.state == "delivered":
                break
            assert time.monotonic() < deadline, "the second waited for the stalled first"
            time.sleep(0.01)
        stalled = store.outbox_get(first)
        assert stalled is not None
        assert stalled.state == "pending"  # still on its way
    finally:
        stall.set()
        thread.join(10)
        w.close()
    assert [d.state for d in map(store.outbox_get, (first, second)) if d] == ["delivered"] * 2
