"""The report of ``journeyline bench`` as a table and its lines of detail, from the report
``measure`` makes (the same one ``--json`` prints)."""

from __future__ import annotations

from typing import Any

from journeyline.bench.latency import TICK

#: The width of the table's first column.
LABEL = 50


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    f = report["figures"]
    web = (
        f" {report['web_events']:,} web events/run ({report['web_visitors']:,} visitors,"
        f" ~{report['mean_web_event_bytes']} B/event);"
        if "web_engine" in f
        else ""
    )
    fresh = "file" if report["store"] == "SQLite" else "schema"
    server = "" if report["store"] == "SQLite" else f", PostgreSQL {report['store_version']}"
    lines = [
        f"journeyline bench - {report['events']:,} conversation events/run"
        f" ({report['conversations']:,} conversations, ~{report['mean_event_bytes']} B/event);"
        f"{web} median of {report['runs']} run(s), fresh {report['store']} {fresh} per run",
        f"machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, SQLite {m['sqlite']}"
        f"{server}, {m['platform']}, {m['date']}",
        "",
        f"{'what':<{LABEL}} {'events/s':>10} {'% ceil':>7}  {'goal':<34} result",
    ]
    for figure in report["figures"].values():
        passed = figure["passed"]
        result = "-" if passed is None else "PASS" if passed else "below goal"
        lines.append(
            f"{figure['label']:<{LABEL}} {figure['events_per_s']:>10,.0f}"
            f" {figure['pct_of_ceiling']:>6.0f}%  {figure['goal'] or '-':<34} {result}"
        )
    lines += [
        "",
        "runs (events/s): "
        + "; ".join(
            f"{name} " + " / ".join(f"{r:,.0f}" for r in fig["runs_events_per_s"])
            for name, fig in f.items()
        ),
        f"engine stored {f['engine']['stored_events']:,} events in"
        f" {f['engine']['sessions']:,} sessions ({f['engine']['session_events']:,} session"
        f" events); HTTP single: {f['http_single']['events_per_run']:,} requests"
        f" = {f['http_single']['requests_per_s']:,.0f} requests/s,"
        f" {f['http_single']['pct_of_minimal']:.0f}% of the minimal endpoint's"
        f" {f['http_minimal']['events_per_s']:,.0f} requests/s",
        *_ceiling_lines(f),
        *_web_lines(f),
        *_definition_lines(report),
        *_latency_lines(report),
        *_scale_lines(f),
        *_million_lines(f),
    ]
    return "\n".join(lines)


def _ceiling_lines(f: dict[str, Any]) -> list[str]:
    c = f["ceiling"]
    if "copy_rows_per_s" not in c:
        return []
    return [
        f"PostgreSQL ceiling: executemany {c['executemany_rows_per_s']:,.0f} rows/s, COPY"
        f" {c['copy_rows_per_s']:,.0f} rows/s (the faster is the ceiling)"
    ]


def _web_lines(f: dict[str, Any]) -> list[str]:
    if "web_engine" not in f:
        return []
    w = f["web_engine"]
    return [
        f"web engine stored {w['stored_events']:,} events in {w['sessions']:,} web sessions"
        f" ({w['session_events']:,} session events), {w['contacts']:,} contacts"
        f" ({w['identified_contacts']:,} identified); web HTTP single:"
        f" {f['web_http_single']['events_per_run']:,} requests"
        f" = {f['web_http_single']['requests_per_s']:,.0f} requests/s,"
        f" {f['web_http_single']['pct_of_minimal']:.0f}% of the minimal endpoint's"
    ]


def _scale_lines(f: dict[str, Any]) -> list[str]:
    return [
        f"scale-out, {s['nodes']} API nodes and {s['workers']} workers: {s['events_per_s']:,.0f}"
        f" events applied/s (all {s['events_per_run']:,} visible in the store after"
        f" {s['applied_seconds']:.2f} s), acknowledged at {s['acknowledged_per_s']:,.0f}"
        " events/s"
        for name, s in f.items()
        if name.startswith("scale_")
    ]


def _million_lines(f: dict[str, Any]) -> list[str]:
    if (m := f.get("journey_million")) is None:
        return []
    lines = [
        f"one contact's journey ({m['contact_sessions']} sessions) with N sessions stored,"
        " p50/p99 ms (API round trip; desktop page server time), server RSS:"
    ]
    for size in m["stages"]:
        lines.append(
            f"  {size:>10,}: API {m[f'{size}_api_p50_ms']:.1f} / {m[f'{size}_api_p99_ms']:.1f};"
            f" page {m[f'{size}_page_p50_ms']:.1f} / {m[f'{size}_page_p99_ms']:.1f}"
            f" (round trip {m[f'{size}_page_trip_p50_ms']:.1f} /"
            f" {m[f'{size}_page_trip_p99_ms']:.1f}); RSS {m[f'{size}_rss_kib'] / 1024:,.1f} MiB;"
            f" filled in {m[f'{size}_fill_s']:.1f} s"
        )
    lines.append(
        f"  memory {m['rss_growth_pct']:+.1f}% from the smallest store to the largest; plan:"
        f" {m['plan']} ({'index used' if m['index_used'] else 'NO INDEX'})"
    )
    return lines


def _definition_lines(report: dict[str, Any]) -> list[str]:
    """Each definitions line as a share of its engine's rate without any, and what the
    definitions decided (the unrelated ones: nothing)."""
    lines = []
    for engine in ("engine", "web_engine"):
        found = [f for n, f in report["figures"].items() if n.startswith(f"{engine}_defs_")]
        if not found:
            continue
        names = [
            f"{f['unrelated_definitions']:,} unrelated"
            + (f" + {f['related_definitions']:,} related" if f["related_definitions"] else "")
            for f in found
        ]
        shares = ", ".join(
            f"{name} {f['pct_of_no_definitions']:.0f}%"
            for name, f in zip(names, found, strict=True)
        )
        decided = "; ".join(
            f"{name}: {f['assignments']:,} segment assignments, {f['achievements']:,} outcome"
            f" achievements, {f['actions']:,} actions ({f['flow_deliveries']:,} flow"
            " deliveries queued)"
            for name, f in zip(names, found, strict=True)
        )
        lines.append(f"{engine} with definitions, % of its rate with none: {shares}")
        lines.append(f"  decided: {decided}")
    if report["definitions"] or report["related_definitions"]:
        lines.append(f"definitions made in {report['definitions_seconds']:.1f} s (not timed)")
    return lines


def _latency_lines(report: dict[str, Any]) -> list[str]:
    figures, tick = report["figures"], f"{TICK * 1000:.0f} ms"
    lines = []
    if (flow := figures.get("flow_latency")) is not None:
        spread, paced = _spread(flow, "deliveries", 0)
        lines.append(
            f"flow latency (one run: {flow['expected']:,} page views paced at"
            f" {flow['rate_asked']:,}/s, a /v1/batch every {tick}): {spread}"
            f" ({flow['verified']:,} verified, {flow['repeats']:,} repeats); {paced};"
            f" outbox after: {flow['outbox_delivered']:,} delivered, {flow['outbox_pending']:,}"
            f" pending, {flow['outbox_dead']:,} dead"
        )
    if (feed := figures.get("feed_latency")) is not None:
        spread, paced = _spread(feed, "messages", 1)
        lines.append(
            f"feed latency (one run: {feed['events_per_run']:,} conversation events paced at"
            f" {feed['rate_asked']:,}/s, a POST every {tick}, to {feed['clients']:,} open feed"
            f" clients; {feed['probes']:,} probes): {spread}; {paced}"
        )
    if (page := figures.get("journey_page")) is not None:
        lines.append(
            f"desktop journey page (one run: {page['events_per_run']:,} GET"
            f" /desktop/people/{{id}} of a person with {page['sessions']:,.0f} sessions, server"
            f" time from Server-Timing): p50 {page['p50_ms']:,.1f} ms, p99"
            f" {page['p99_ms']:,.1f} ms, max {page['max_ms']:,.1f} ms; ceiling: the raw read of"
            f" those session rows {page['raw_read_ms']:,.2f} ms"
        )
    return lines


def _spread(figure: dict[str, Any], what: str, digits: int) -> tuple[str, str]:
    """A latency line's percentiles and counts, and how its events were paced."""
    ms = [f"{figure[k]:,.{digits}f} ms" for k in ("p50_ms", "p99_ms", "max_ms")]
    return (
        f"p50 {ms[0]}, p99 {ms[1]}, max {ms[2]}; {figure['received']:,} of"
        f" {figure['expected']:,} {what} received",
        f"accepted at {figure['events_per_s']:,.0f} events/s; latest batch"
        f" {figure['late_ms']:,.0f} ms late",
    )
