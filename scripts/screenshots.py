"""Take the desktop's screenshots in docs/screenshots/ (run: .venv/bin/python scripts/screenshots.py).

A demo day in a fresh store, the real server on 127.0.0.1, a demo agent signed in, Debian's
chromium through Playwright. Shows the sign-in form, the Now view, the person with the most
sessions (a journey map open), the same in French, and the journey at 360 px wide.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from journeyline.api.app import create_app
from journeyline.clock import system_clock
from journeyline.config import Settings
from journeyline.demo.load import load_demo
from journeyline.desktop.users import UserChange, hash_password, put_user
from journeyline.store import open_store

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
EMAIL, PASSWORD = "demo.agent@example.com", "screenshots only, not a secret"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        url = f"sqlite:///{db}"
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        store = open_store(url)
        try:
            load_demo(store, clock=system_clock, base_url=base)
            with store.transaction():
                change = UserChange("Maria Gonzalez", EMAIL, "supervisor", PASSWORD)
                put_user(store, "demo-agent", change, hash_password(PASSWORD), system_clock())
        finally:
            store.close()
        with sqlite3.connect(db) as raw:
            (person,) = raw.execute(
                "SELECT external_contact_id FROM sessions WHERE external_contact_id IS NOT NULL"
                " GROUP BY 1 ORDER BY count(DISTINCT type) DESC, count(*) DESC LIMIT 1"
            ).fetchone()
        server = uvicorn.Server(uvicorn.Config(create_app(Settings(store_url=url)), port=port))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            shoot(base, person)
        finally:
            server.should_exit = True
            thread.join(10)
    return 0


def shoot(base: str, person: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        for locale, suffix in (("en-US", ""), ("fr-FR", "-fr")):
            context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/desktop/signin")
            if not suffix:
                page.screenshot(path=OUT / "desktop-signin.png")
            page.locator("input[name=email]").fill(EMAIL)
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").click()
            page.wait_for_url("**/desktop/now")
            if not suffix:
                page.screenshot(path=OUT / "desktop-now.png", full_page=True)
            page.goto(f"{base}/desktop/people/{person}")
            page.locator("article.card details.map-toggle summary").first.click()
            page.locator(".timeline li").first.wait_for()
            page.locator(".timeline summary").first.click()
            page.screenshot(path=OUT / f"desktop-journey{suffix}.png")
            if not suffix:
                page.set_viewport_size({"width": 360, "height": 780})
                page.screenshot(path=OUT / "desktop-journey-360.png")
            context.close()
        browser.close()
    print(f"screenshots in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
