"""Functional test of ``journeyline bench``: every figure is measured and the events are stored.

Not a timed test: it runs the whole bench (a real server subprocess included) on a few hundred
events and checks the report's shape, never the speeds.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from journeyline.bench import event_log_ddl, make_workload
from journeyline.cli import main

FIGURES = ("ceiling", "engine", "http_single", "http_batch")


def test_bench_reports_every_figure_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--events", "300", "--runs", "1", "--dir", str(tmp_path), "--json"]
    assert main([*argv, "--single-events", "120", "--timeout", "60"]) == 0
    report = json.loads(capsys.readouterr().out)

    assert report["events"] == 300
    assert report["runs"] == 1
    machine = report["machine"]
    assert machine["cores"] >= 1
    assert machine["python"]
    assert machine["sqlite"]
    figures = report["figures"]
    assert set(figures) == set(FIGURES)
    for name in FIGURES:
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
    # the databases lived in a temporary directory under --dir and are gone
    assert list(tmp_path.iterdir()) == []


def test_bench_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--events", "100", "--runs", "1", "--dir", str(tmp_path)]
    assert main([*argv, "--single-events", "20", "--concurrency", "4"]) == 0
    out = capsys.readouterr().out
    assert "ceiling" in out
    assert "engine + store" in out
    assert "HTTP single" in out
    assert "HTTP batches of 100" in out
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
