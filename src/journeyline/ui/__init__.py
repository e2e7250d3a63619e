"""The browser side: the ``journeyline.js`` web tracker and a small demo shop that uses it.

``STATIC_DIR`` holds the tracker and the script that shows web offers; ``DEMO_DIR`` the demo
pages, whose tag carries the literal placeholder ``{{DEPLOYMENT_ID}}`` that the server
replaces with ``DEMO_DEPLOYMENT_ID``.

Static files only, and the paths to them: imports nothing of journeyline (the agent desktop's
templates will live here too).
"""

from __future__ import annotations

from pathlib import Path

DEMO_DEPLOYMENT_ID = "6f1c2a7e-1b0d-4c35-9a57-0d3e5a1f7b21"
STATIC_DIR = Path(__file__).resolve().parent / "static"
DEMO_DIR = Path(__file__).resolve().parent / "demo_site"
TRACKER_PATH = STATIC_DIR / "journeyline.js"
#: What shows web offers; the tracker loads it when the first offer arrives.
OFFERS_PATH = STATIC_DIR / "journeyline-offers.js"
HOME_PATH = Path(__file__).resolve().parent / "home.html"
DEPLOYMENT_PLACEHOLDER = "{{DEPLOYMENT_ID}}"

__all__ = [
    "DEMO_DEPLOYMENT_ID",
    "DEMO_DIR",
    "DEPLOYMENT_PLACEHOLDER",
    "HOME_PATH",
    "OFFERS_PATH",
    "STATIC_DIR",
    "TRACKER_PATH",
]
