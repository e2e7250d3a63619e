"""Session cards: what an agent sees of a session (the seed's colour, title, icon, duration,
queue, agent and status). The rules that compute them are in ``core.card``."""

from __future__ import annotations

from typing import Literal

from journeyline.model.record import record
from journeyline.model.web import Page

Color = Literal["blue", "white", "gray"]
Icon = Literal["call", "chat", "messaging"]


@record
class Ref:
    id: str
    name: str


@record
class Card:
    color: Color
    title: str
    icon: Icon
    duration_seconds: int
    queue: Ref | None
    agent: Ref | None
    status: str
    wrapup_code: Ref | None


@record
class WebCard:
    """A web (or app) session card: active (blue) until 20 minutes without an event, then gray."""

    color: Color
    title: str
    icon: str  # web | app
    duration_seconds: int
    status: str
    customer_name: str
    current_page: Page | None
    current_screen: str | None
    pageview_count: int
    search_terms: tuple[str, ...]
