"""Functional test of ``journeyline bench``: every figure is measured and the events are stored.

Not a timed test: it runs the whole bench (real server subprocesses included) on a few hundred
events, 30 definitions and one second of paced page views, and checks the report's shape and
what was stored and delivered, never the speeds.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats
import psycopg
import pytest

import pg
from journeyline.bench import (
    WEB_OLDEST_MS,
    event_log_ddl,
    genesys_request,
    make_web_hits,
    make_workload,
    related_definitions,
    render,
    segment_message,
    unrelated_definitions,
)
from journeyline.bench.latency import latency_run, percentile
from journeyline.bench.rules import Definition, Workload
from journeyline.cli import main
from journeyline.clock import system_clock
from journeyline.core.patterns import DefinitionIndex
from journeyline.ingest import definitions as wire
from journeyline.ingest import genesys_web as web
from journeyline.ingest import segment
from journeyline.ingest.enrich import GeoLookup
from journeyline.model.contact import Deployment
from journeyline.model.definitions import ActionMap, Outcome, Segment

NATS = os.environ.get("JOURNEYLINE_TEST_NATS", "nats://127.0.0.1:4222")
FIGURES = ("ceiling", "engine", "http_minimal", "http_single", "http_batch")
WEB_FIGURES = ("web_engine", "web_http_single", "web_http_batch")
WEB_ARGS = ["--web-events", "200", "--web-single-events", "50", "--web-batch-events", "200"]
# 3 and 30 unrelated definitions, then the 30 with 10 related; 100 page views at 100/s
RULES_ARGS = ["--definitions", "30", "--related", "10"]
LATENCY_ARGS = ["--latency-rate", "100", "--latency-seconds", "1"]
# 50 conversation events in one second, to 3 open feed clients
FEED_ARGS = ["--feed-rate", "50", "--feed-seconds", "1", "--feed-clients", "3"]
# the desktop journey page of a person with 12 sessions, asked 5 times
JOURNEY_ARGS = ["--journey-sessions", "12", "--journey-requests", "5"]
# one contact's 25 sessions read at 30, 300 and 3,000 stored sessions, 4 GETs of each route
MILLION_ARGS = ["--million-sessions", "3000", "--million-requests", "4"]
LATENCIES = ("flow_latency", "feed_latency", "journey_page", "journey_million")
DEFINITION_FIGURES = tuple(
    f"{engine}_defs_{suffix}"
    for engine in ("engine", "web_engine")
    for suffix in ("3", "30", "30_related")
)


def test_bench_reports_every_figure_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--events", "300", "--runs", "1", "--dir", str(tmp_path), "--json"]
    argv += ["--single-events", "120", "--timeout", "60", *WEB_ARGS, *RULES_ARGS, *LATENCY_ARGS]
    argv += [*FEED_ARGS, *JOURNEY_ARGS, *MILLION_ARGS]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)

    assert report["events"] == 300
    assert report["runs"] == 1
    machine = report["machine"]
    assert machine["cores"] >= 1
    assert machine["python"]
    assert machine["sqlite"]
    figures = report["figures"]
    assert set(figures) == {*FIGURES, *WEB_FIGURES, *DEFINITION_FIGURES, *LATENCIES}
    for name in (*FIGURES, *WEB_FIGURES, *DEFINITION_FIGURES, *LATENCIES):
        figure = figures[name]
        rate = figure["events_per_s"]
        assert isinstance(rate, float | int), name
        assert math.isfinite(rate), name
        assert rate > 0, name
        assert len(figure["runs_events_per_s"]) == 1, name
        # its share of the ceiling's rate, to a tenth of a percent; the rates are rounded to a
        # tenth in the report too. (A slow line's share of a fast ceiling can round to 0.0: a
        # latency line's paced rate, or any line of a machine busy with more than the bench.)
        ceiling = figures["ceiling"]["events_per_s"]
        share = 100.0 * rate / ceiling
        slack = 0.05 + share * 0.06 * (1 / rate + 1 / ceiling)
        assert abs(figure["pct_of_ceiling"] - share) <= slack, (name, share)
    assert figures["ceiling"]["pct_of_ceiling"] == 100
    assert figures["ceiling"]["stored_events"] == 300
    assert figures["http_single"]["requests_per_s"] == figures["http_single"]["events_per_s"]
    assert figures["http_single"]["events_per_run"] == 120
    # the minimal endpoint answered the same 120 requests in turn, 10,080 in all (84 rounds);
    # the single line is judged against it
    minimal = figures["http_minimal"]
    assert minimal["requests"] == minimal["events_per_run"] == 10_080
    share = 100 * figures["http_single"]["events_per_s"] / figures["http_minimal"]["events_per_s"]
    assert figures["http_single"]["pct_of_minimal"] == pytest.approx(share, abs=0.1)
    assert figures["http_single"]["goal"] == ">= 25% of minimal endpoint"
    assert isinstance(figures["http_single"]["passed"], bool)
    assert report["store"] == "SQLite"
    assert figures["http_single"]["accepted"] == 120
    assert figures["http_batch"]["requests"] == 3  # 300 events in arrays of 100
    assert figures["http_batch"]["accepted"] == 300
    # single events and batches go to the same server store: all of them were new
    assert figures["http_batch"]["stored_events"] == 420

    engine = figures["engine"]
    assert engine["stored_events"] == 300
    assert engine["sessions"] > 0
    assert engine["session_events"] > 0
    assert isinstance(engine["passed"], bool)
    assert isinstance(figures["http_batch"]["passed"], bool)
    assert figures["ceiling"]["passed"] is None
    assert report["conversations"] == engine["sessions"]

    web_engine = figures["web_engine"]
    assert report["web_events"] == web_engine["events_per_run"] == 200
    assert web_engine["stored_events"] == 200
    assert web_engine["session_events"] == 200
    assert 0 < web_engine["sessions"] <= web_engine["visitors"] == report["web_visitors"]
    assert web_engine["contacts"] >= web_engine["visitors"]
    assert isinstance(web_engine["passed"], bool)
    assert report["mean_web_event_bytes"] > 100
    web_single = figures["web_http_single"]
    assert web_single["events_per_run"] == web_single["accepted"] == 50
    assert web_single["requests_per_s"] == web_single["events_per_s"]
    web_share = 100 * web_single["events_per_s"] / figures["http_minimal"]["events_per_s"]
    assert web_single["pct_of_minimal"] == pytest.approx(web_share, abs=0.1)
    web_batch = figures["web_http_batch"]
    assert web_batch["events_per_run"] == web_batch["accepted"] == 200
    assert web_batch["requests"] == 2  # 200 Segment messages in batches of 100
    # the single web events and the Segment batches went to one server store
    assert web_batch["stored_events"] == 250
    assert web_batch["sessions"] > 0
    assert report["definitions"] == [3, 30]
    assert report["related_definitions"] == 10
    for name in DEFINITION_FIGURES:
        figure = figures[name]
        engine = "web_engine" if name.startswith("web_") else "engine"
        assert figure["events_per_run"] == figures[engine]["events_per_run"], name
        assert figure["stored_events"] == figures[engine]["stored_events"], name
        assert figure["sessions"] == figures[engine]["sessions"], name
        assert figure["pct_of_no_definitions"] > 0, name
        related = name.endswith("_related")
        assert figure["unrelated_definitions"] == (30 if related else int(name.split("_")[-1]))
        assert figure["related_definitions"] == (10 if related else 0), name
        decided = [figure[k] for k in ("progress_rows", "assignments", "actions")]
        if related:  # these concern the events: journeys advance, segments and maps fire
            assert all(count > 0 for count in decided), (name, decided)
            assert figure["achievements"] > 0, name
            assert figure["flow_deliveries"] > 0, name  # the maps with a flow queued some
        else:  # the index never offered the unrelated ones to an event
            assert decided == [0, 0, 0], name
            assert figure["achievements"] == figure["flow_deliveries"] == 0, name
    for engine in ("engine", "web_engine"):
        assert isinstance(figures[f"{engine}_defs_30"]["passed"], bool)
        assert figures[f"{engine}_defs_3"]["passed"] is None
        assert figures[f"{engine}_defs_30_related"]["passed"] is None

    flow = figures["flow_latency"]
    assert flow["rate_asked"] == 100
    assert flow["batches"] == 10  # one /v1/batch every 100 ms for one second
    # every page view fired its flow once, delivered, signed with the flow's secret
    assert flow["expected"] == flow["events_per_run"] == 100
    assert flow["received"] == flow["verified"] == flow["outbox_delivered"] == 100
    assert flow["outbox_pending"] == flow["outbox_dead"] == 0
    assert flow["repeats"] == 0
    assert flow["min_ms"] <= flow["p50_ms"] <= flow["p99_ms"] <= flow["max_ms"]
    assert flow["max_ms"] > 0
    assert isinstance(flow["passed"], bool)

    feed = figures["feed_latency"]
    assert feed["rate_asked"] == report["feed_rate"] == 50
    assert feed["clients"] == report["feed_clients"] == 3
    assert feed["events_per_run"] == 50
    assert feed["batches"] == 10  # one POST every 100 ms for one second
    assert feed["probes"] == 10  # at least one probe per batch, one in ten of its events
    # every probe's session.started reached every client once
    assert feed["expected"] == feed["received"] == 30
    assert feed["min_ms"] <= feed["p50_ms"] <= feed["p99_ms"] <= feed["max_ms"]
    assert isinstance(feed["passed"], bool)
    assert feed["goal"] == "p99 < 100 ms, all received"

    page = figures["journey_page"]
    assert report["journey_sessions"] == page["sessions"] == 12  # 12 cards were on the page
    assert page["events_per_run"] == report["journey_requests"] == 5
    assert 0 < page["p50_ms"] <= page["p99_ms"] <= page["max_ms"]
    assert page["raw_read_ms"] > 0
    assert page["goal"] == "p99 < 50 ms server time"
    assert isinstance(page["passed"], bool)

    _check_million(figures["journey_million"], 3000)

    # the table made from this report has a line with a rate for every figure
    table = render(report)
    assert re.search(r"^ +3,000: API [0-9.]+ / [0-9.]+; page ", table, re.MULTILINE)
    assert "feed latency (one run: 50 conversation events paced at 50/s" in table
    assert "30 of 30 messages received" in table
    assert "flow latency (one run: 100 page views paced at 100/s" in table
    assert "100 of 100 deliveries received" in table
    assert "desktop journey page (one run: 5 GET /desktop/people/{id} of a person with 12" in table
    assert "web_engine with definitions, % of its rate with none: 3 unrelated " in table
    for name in (*FIGURES, *WEB_FIGURES, *DEFINITION_FIGURES, *LATENCIES):
        label = re.escape(figures[name]["label"])
        rate = f"{figures[name]['events_per_s']:,.0f}"
        assert re.search(rf"^{label} +{re.escape(rate)} ", table, re.MULTILINE), name
    # the databases lived in a temporary directory under --dir and are gone
    assert list(tmp_path.iterdir()) == []


def test_bench_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--events", "100", "--runs", "1", "--dir", str(tmp_path)]
    argv += ["--single-events", "20", "--concurrency", "4", *WEB_ARGS]
    argv += [
        "--definitions",
        "0",
        "--related",
        "0",
        "--latency-seconds",
        "0",
        "--feed-seconds",
        "0",
        "--journey-requests",
        "0",
        "--million-sessions",
        "0",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "ceiling" in out
    assert "engine + store" in out
    assert "HTTP single" in out
    assert "HTTP batches of 100" in out
    assert "web engine + store" in out
    assert "web HTTP single" in out
    assert "web HTTP Segment /v1/batch of 100" in out
    assert "SQLite" in out
    assert "Python" in out
    assert "definitions" not in out  # --definitions 0 --related 0: no such lines
    assert "flow latency" not in out  # --latency-seconds 0
    assert "feed latency" not in out  # --feed-seconds 0
    assert "one contact's journey" not in out  # --million-sessions 0
    assert "scale-out" not in out  # no --nodes


def _check_million(figure: dict[str, Any], sessions: int) -> None:
    """The journey read at a hundredth, a tenth and all of ``sessions``: each size's figures,
    the plan on the contact index, the memory."""
    sizes = [sessions // 100, sessions // 10, sessions]
    assert figure["stages"] == sizes
    assert figure["sessions"] == sessions
    assert figure["contact_sessions"] == 25
    assert figure["events_per_run"] == 2 * 3 * 4  # 4 GETs of two routes at three sizes
    for size in sizes:
        for what in ("api", "page", "page_trip"):
            assert 0 < figure[f"{size}_{what}_p50_ms"] <= figure[f"{size}_{what}_p99_ms"], size
        assert figure[f"{size}_rss_kib"] > 10_000, size  # a Python server's resident memory
    assert figure["index_used"] is True, figure["plan"]
    assert "sessions_contact" in figure["plan"]
    assert figure["api_p99_ms"] == figure[f"{sessions}_api_p99_ms"]
    assert isinstance(figure["rss_growth_pct"], float)
    assert figure["goal"] == "p99 < 20 ms, memory flat"
    assert isinstance(figure["passed"], bool)


def _bench_schemas() -> list[str]:
    with psycopg.connect(pg.SERVER, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (f"bench\\_{os.getpid()}\\_%",),
        ).fetchall()
    return [name for (name,) in rows]


def _bench_streams() -> list[str]:
    """This process's scale-out streams still on the NATS server."""

    async def names() -> list[str]:
        nc = await nats.connect(NATS, connect_timeout=5)
        try:
            found = await nc.jetstream().streams_info()
        finally:
            await nc.close()
        names = [s.config.name or "" for s in found]
        return [name for name in names if name.startswith(f"bench{os.getpid()}x")]

    return asyncio.run(names())


def test_bench_on_postgresql_with_scale_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--store postgresql://...``: the conversation lines, both ceilings, the feed, the
    journey read on fresh schemas (dropped afterwards); ``--nodes 2 --workers 1,2``: two API
    nodes with one worker, then with two, on NATS."""
    monkeypatch.setenv("JOURNEYLINE_NATS", NATS)  # the NATS server the processes share
    argv = ["bench", "--store", pg.SERVER, "--events", "200", "--single-events", "40"]
    argv += ["--runs", "1", "--dir", str(tmp_path), "--json", "--timeout", "90"]
    argv += [*FEED_ARGS, *MILLION_ARGS, "--nodes", "2", "--workers", "1,2"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)

    assert report["store"] == "PostgreSQL"
    assert report["store_version"]
    figures = report["figures"]
    scaled = ("scale_2n_1w", "scale_2n_2w")
    expected = {*FIGURES, *scaled, "feed_latency", "journey_million"}
    assert set(figures) == expected  # the SQLite-only lines are not measured
    for name in expected:
        assert figures[name]["events_per_s"] > 0, name
    ceiling = figures["ceiling"]
    assert ceiling["stored_events"] == 200
    fastest = max(ceiling["executemany_rows_per_s"], ceiling["copy_rows_per_s"])
    assert ceiling["events_per_s"] == pytest.approx(fastest, rel=0.01)
    assert figures["engine"]["stored_events"] == 200
    assert figures["http_batch"]["stored_events"] == 240  # single and batched: all new
    assert figures["http_batch"]["goal"] == ">= 25% of ceiling"
    assert figures["http_minimal"]["requests"] == 10_000  # 250 rounds of the 40
    for name, workers in zip(scaled, (1, 2), strict=True):
        figure = figures[name]
        assert (figure["nodes"], figure["workers"]) == (2, workers)
        assert figure["events_per_run"] == 200
        assert figure["requests"] == 2  # arrays of 100
        # applied (visible in the store) no sooner than acknowledged
        assert 0 < figure["acknowledged_seconds"] <= figure["applied_seconds"]
    assert figures["feed_latency"]["expected"] == figures["feed_latency"]["received"] == 30
    _check_million(figures["journey_million"], 3000)
    assert "Index" in figures["journey_million"]["plan"]  # PostgreSQL's words
    assert "scale-out, 2 API nodes and 2 workers: " in render(report)
    assert _bench_schemas() == []  # every run's schema is gone
    assert _bench_streams() == []  # and every run's stream
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--nodes", "2"], "--nodes needs --store postgresql://"),
        (["--store", "mysql://x"], "--store takes sqlite or a postgresql:// URL"),
        (["--store", "postgresql://h/db?schema=s"], "no ?schema="),
        (["--million-sessions", "10"], "--million-sessions must be 0 or between 25"),
    ],
)
def test_bench_refuses_bad_options(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", *argv]) == 2
    assert message in capsys.readouterr().err


def _records(definitions: list[Definition]) -> list[Segment | Outcome | ActionMap]:
    """Each definition decoded as the API decodes a POST body (invalid ones would raise)."""
    decoders: dict[str, Callable[..., Segment | Outcome | ActionMap]] = {
        "segment": wire.decode_segment,
        "outcome": wire.decode_outcome,
        "actionmap": wire.decode_action_map,
    }
    return [decoders[d.kind](json.dumps(d.body).encode(), id=d.id, now_ms=0) for d in definitions]


#: Every (stream type, event name) the bench's workloads produce.
CALL_EVENTS = ("routed", "connected", "ended")
WEB_EVENTS = (
    "page_viewed",
    "search_performed",
    "form_submitted",
    "product_added",
    "wishlist_added",
    "video_played",
    "promotion_clicked",
    "checkout_started",
    "identified",  # a Segment identify call
)
WORKLOAD_EVENTS = [("Conversation", n) for n in CALL_EVENTS] + [("Web", n) for n in WEB_EVENTS]


def test_unrelated_definitions_are_a_valid_mix_that_no_workload_event_is_offered() -> None:
    definitions = unrelated_definitions(1000)
    assert len({d.id for d in definitions}) == 1000
    kinds = [d.kind for d in definitions]
    assert (kinds.count("segment"), kinds.count("outcome"), kinds.count("actionmap")) == (
        400,
        200,
        400,
    )
    assert unrelated_definitions(100) == definitions[:100]  # a smaller count is a prefix
    records = _records(definitions)
    patterns = [p for r in records if not isinstance(r, ActionMap) for p in r.journey_patterns]
    streams = {p.stream_type for p in patterns}
    assert streams == {"Web", "App", "Custom"}
    assert any(isinstance(r, ActionMap) and r.trigger_with_segments for r in records)
    media = {r.action.media_type for r in records if isinstance(r, ActionMap)}
    assert media == {"contentOffer", "webMessagingOffer", "architectFlow", "openAction"}
    segments = DefinitionIndex.build([r for r in records if isinstance(r, Segment)])
    outcomes = DefinitionIndex.build([r for r in records if isinstance(r, Outcome)])
    maps = DefinitionIndex.build([r for r in records if isinstance(r, ActionMap)])
    hits = make_web_hits(2000, system_clock(), seed=5)
    assert {h.name for h in hits} <= {name for _, name in WORKLOAD_EVENTS}
    for stream, name in WORKLOAD_EVENTS:
        for index in (segments, outcomes, maps):
            assert index.candidates(stream, name) == (), (stream, name)


@pytest.mark.parametrize("workload", ["web", "conversation"])
def test_related_definitions_concern_the_workload(workload: Workload) -> None:
    records = _records(related_definitions(workload, 25))
    assert len({r.id for r in records}) == 25  # past ten: copies under other ids
    stream = "Web" if workload == "web" else "Conversation"
    index = DefinitionIndex.build([r for r in records if isinstance(r, ActionMap)])
    for segment_map in [r for r in records if isinstance(r, ActionMap) and r.trigger_with_segments]:
        [segment_id] = segment_map.trigger_with_segments
        assert segment_id in {r.id for r in records if isinstance(r, Segment)}
    commonest = {"web": "page_viewed", "conversation": "ended"}[workload]
    assert index.candidates(stream, commonest)  # an action map on it


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_workload_events_are_unique_and_valid() -> None:
    workload = make_workload(2000)
    assert len(workload.wire) == len(workload.items) == len(workload.rows) == 2000
    keys = [key for key, _, _ in workload.rows]
    assert len(set(keys)) == len(keys)
    assert all(
        item["topicName"].startswith("v2.detail.events.conversation.") for item in workload.items
    )


def test_ceiling_uses_the_migrations_event_log_table() -> None:
    ddl = event_log_ddl()
    assert ddl[0].startswith("CREATE TABLE event_log")
    assert re.search(r"\bkey\s+TEXT NOT NULL UNIQUE", ddl[0])
    assert "CREATE INDEX event_log_partition ON event_log (partition_key, seq)" in ddl


def test_web_events_are_realistic_and_valid() -> None:
    now = system_clock()
    hits = make_web_hits(3000, now, seed=7)
    assert len(hits) == 3000
    assert [h.created_ms for h in hits] == sorted(h.created_ms for h in hits)
    assert all(now - WEB_OLDEST_MS <= h.created_ms < now for h in hits)
    visitors = {h.cookie for h in hits}
    assert 300 < len(visitors) < 1500  # many visitors, a few events each
    assert len({h.user_agent for h in hits}) > 5
    assert {h.action for h in hits} == {"page", "search", "track", "identify"}
    assert any("utm_source=" in h.url for h in hits)
    assert any(h.referrer and "google" in h.referrer for h in hits)
    identified = [h for h in hits if h.traits]
    assert identified
    assert all("email" in h.traits for h in identified)
    assert any("phone" in h.traits for h in identified)

    deployment = Deployment(id="d-bench", name="bench", write_key="wk")
    keys = set()
    mediums = set()
    for hit in hits:
        ctx = web.Context(deployment, now, hit.ip, hit.user_agent, GeoLookup(None))
        event = web.parse_web(genesys_request(hit), ctx).event  # within the hour, valid traits
        keys.add(event.key)
        if event.referrer is not None:
            mediums.add(event.referrer.medium)
        message = segment_message(hit, f"m-{len(keys)}")
        mapped = segment.parse_message(message, ctx).event
        assert mapped.customer_cookie_id == hit.cookie
        assert mapped.user_agent == hit.user_agent
        assert mapped.created_ms == event.created_ms
    assert len(keys) == len(hits)  # no duplicates: every event is new
    assert {"search", "paid", "social", "internal"} <= mediums


def test_the_latency_line_can_fire_a_flow_for_some_events_only(tmp_path: Path) -> None:
    """``--latency-fire-every 10``: every event is load, one in ten fires the flow."""
    run = latency_run(tmp_path, rate=100, seconds=1, timeout=60, fire_every=10)
    d = run.details
    assert run.events == 100
    assert d["fire_every"] == 10
    assert d["expected"] == d["received"] == d["verified"] == d["outbox_delivered"] == 10
    assert d["outbox_pending"] == d["outbox_dead"] == 0
