"""A crash loses nothing acknowledged: kill -9 a real server right after its answers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx

from conftest import SAMPLES, bearer, free_port, make_client
from journeyline.store import open_store


def test_acknowledged_events_survive_a_kill(store_url: str) -> None:
    credentials = make_client(store_url)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "journeyline.cli",
            "serve",
            "--store",
            store_url,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        lines = (SAMPLES / "inbound-call-answered.jsonl").read_text().splitlines()
        accepted = 0
        with httpx.Client(base_url=base) as http:
            headers = bearer(http, credentials)
            for n in range(30):  # thirty calls, each acknowledged before the next is sent
                events = [json.loads(line.replace("1de9ea66", f"c{n:07d}")) for line in lines]
                answer = http.post(
                    "/api/v2/journey/conversationevents", json=events, headers=headers
                )
                assert answer.status_code == 202
                accepted += answer.json()["accepted"]
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    store = open_store(store_url)
    try:
        assert store.log_count() == accepted == 30 * 9
        assert len(store.projection_rows()["sessions"]) == 30
    finally:
        store.close()
