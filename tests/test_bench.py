"""Functional test of ``journeyline bench``: every figure is measured and the events are stored.

Not a timed test: it runs the whole bench (real server subprocesses included) on a few hundred
events and checks the report's shape, never the speeds.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from journeyline.bench import (
    WEB_OLDEST_MS,
    event_log_ddl,
    genesys_request,
    make_web_hits,
    make_workload,
    render,
    segment_message,
)
from journeyline.cli import main
from journeyline.clock import system_clock
from journeyline.ingest import genesys_web as web
from journeyline.ingest import segment
from journeyline.ingest.enrich import GeoLookup
from journeyline.model.contact import Deployment

FIGURES = ("ceiling", "engine", "http_single", "http_batch")
WEB_FIGURES = ("web_engine", "web_http_single", "web_http_batch")
WEB_ARGS = ["--web-events", "200", "--web-single-events", "50", "--web-batch-events", "200"]


def test_bench_reports_every_figure_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--events", "300", "--runs", "1", "--dir", str(tmp_path), "--json"]
    assert main([*argv, "--single-events", "120", "--timeout", "60", *WEB_ARGS]) == 0
    report = json.loads(capsys.readouterr().out)

    assert report["events"] == 300
    assert report["runs"] == 1
    machine = report["machine"]
    assert machine["cores"] >= 1
    assert machine["python"]
    assert machine["sqlite"]
    figures = report["figures"]
    assert set(figures) == {*FIGURES, *WEB_FIGURES}
    for name in (*FIGURES, *WEB_FIGURES):
        figure = figures[name]
        rate = figure["events_per_s"]
        assert isinstance(rate, float | int), name
        assert math.isfinite(rate), name
        assert rate > 0, name
        assert len(figure["runs_events_per_s"]) == 1, name
        assert figure["pct_of_ceiling"] > 0, name
    assert figures["ceiling"]["pct_of_ceiling"] == 100
    assert figures["ceiling"]["stored_events"] == 300
    assert figures["http_single"]["requests_per_s"] == figures["http_single"]["events_per_s"]
    assert figures["http_single"]["events_per_run"] == 120
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
    web_batch = figures["web_http_batch"]
    assert web_batch["events_per_run"] == web_batch["accepted"] == 200
    assert web_batch["requests"] == 2  # 200 Segment messages in batches of 100
    # the single web events and the Segment batches went to one server store
    assert web_batch["stored_events"] == 250
    assert web_batch["sessions"] > 0
    # the table made from this report has a line with a rate for every figure
    table = render(report)
    for name in (*FIGURES, *WEB_FIGURES):
        label = re.escape(figures[name]["label"])
        rate = f"{figures[name]['events_per_s']:,.0f}"
        assert re.search(rf"^{label} +{re.escape(rate)} ", table, re.MULTILINE), name
    # the databases lived in a temporary directory under --dir and are gone
    assert list(tmp_path.iterdir()) == []


def test_bench_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--events", "100", "--runs", "1", "--dir", str(tmp_path)]
    assert main([*argv, "--single-events", "20", "--concurrency", "4", *WEB_ARGS]) == 0
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
