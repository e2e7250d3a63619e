"""A crash loses nothing acknowledged: kill -9 a real server while requests are in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from conftest import SAMPLES, bearer, free_port, make_client, wait_healthy
from journeyline.store import open_store

LINES = (SAMPLES / "inbound-call-answered.jsonl").read_text().splitlines()


def test_acknowledged_events_survive_a_kill_in_flight(store_url: str) -> None:
    credentials = make_client(store_url)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "journeyline.cli",
        "serve",
        "--store",
        store_url,
        "--port",
        str(port),
        "--log-level",
        "critical",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post(worker: int, headers: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=5) as http:
            for n in range(2000):  # bounded; the kill ends it long before
                if stop.is_set():
                    return
                conversation = f"w{worker}n{n:05d}"
                events = [json.loads(line.replace("1de9ea66", conversation)) for line in LINES]
                try:
                    answer = http.post(
                        "/api/v2/journey/conversationevents", json=events, headers=headers
                    )
                except httpx.TransportError:
                    return  # the server is gone
                if answer.status_code == 202:
                    with lock:
                        acknowledged.extend(e["id"] for e in answer.json()["entities"])

    try:
        wait_healthy(base, server)
        deadline = time.monotonic() + 20
        with httpx.Client(base_url=base) as http:
            headers = bearer(http, credentials)
        workers = [threading.Thread(target=post, args=(w, headers)) for w in range(4)]
        for worker in workers:
            worker.start()
        while len(acknowledged) < 400 and time.monotonic() < deadline + 30:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)  # mid-stream: requests are still being sent
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
    assert len(acknowledged) >= 400
    store = open_store(store_url)
    try:
        logged = {record.key for record in store.iter_all_log()}
    finally:
        store.close()
    assert set(acknowledged) <= logged
