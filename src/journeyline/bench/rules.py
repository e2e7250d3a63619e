"""Throughput with active definitions: stores given N segments, outcomes and action maps first.

The engine figures (``engine``, ``web_engine``) are measured again on stores that hold active
definitions before the first event, so that the cost of evaluating them can be read next to
the same path with none:

- **unrelated** (:func:`unrelated_definitions`): a realistic mix — 40% segments, 20% outcomes,
  40% action maps — of definitions about events the workloads never produce: web events of
  other names (store locator, size guide, loyalty points, click and collect...), app screens,
  and custom in-store (``pos``) and kiosk events. Segments and outcomes have journey patterns
  (one or two, counts of 1 to 3, with criteria; some also context patterns, some customer
  scope, some an expiry); action maps have event conditions, or are triggered by one of the
  segments, and act with a content offer, a web messaging offer, an architect flow or an open
  action. The index (``core.patterns.DefinitionIndex``) files them under their stream and
  event name, so each workload event finds none of them: their cost is a few dictionary
  misses per event.
- **related** (:func:`related_definitions`): the same unrelated definitions, plus a few that do
  concern the workload — for web events, segments and outcomes on page views, searches and
  products added, and action maps on page views (a content offer on the basket page, a
  messaging offer on the delivery help page, a flow when a visitor browsed three products);
  for conversations, segments, outcomes and action maps on routed, connected and ended events
  (long waits, abandons, long calls). These advance journey progress and fire actions, so
  their line shows what real matches cost.

The definitions are made as an administrator makes them: Genesys JSON bodies decoded by
``ingest.definitions`` (so each one is valid), then ``PutDefinition`` commands through
``Engine.apply``; two action templates (for the content offers) and one flow (for the flow
actions, written to the store directly) are there too, not counted among the N. Each store is
prepared once per bench, before any clock starts (the N+1000 store extends a copy of the N
store), and each run starts from a fresh copy of it (``runs.copy_store``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from journeyline.bench.errors import BenchError
from journeyline.bench.runs import Run, copy_store, count_rows
from journeyline.bench.workload import SITE
from journeyline.clock import system_clock
from journeyline.engine.definitions import ENCODERS
from journeyline.engine.flows import new_secret
from journeyline.engine.inputs import CommandInput
from journeyline.engine.unit import Engine
from journeyline.ingest import definitions as wire
from journeyline.model.commands import PutDefinition
from journeyline.model.flows import Flow
from journeyline.store import open_store

Json = dict[str, Any]
Workload = Literal["web", "conversation"]

#: Names every bench definition's id is made from (the same bench, the same ids).
_NAMESPACE = uuid.UUID("3b0f6c52-8e1d-4f6a-a2c4-71d9e05b8c13")
FLOW_ID = str(uuid.uuid5(_NAMESPACE, "flow"))
TEMPLATE_IDS = tuple(str(uuid.uuid5(_NAMESPACE, f"template-{n}")) for n in range(2))

# Events the bench's workloads never send (theirs: page_viewed, search_performed,
# form_submitted, product_added, wishlist_added, video_played, promotion_clicked,
# checkout_started; routed, connected, ended).
OTHER_WEB_EVENTS = (
    ("store_locator_opened", "/stores"),
    ("size_guide_opened", "/help/size-guide"),
    ("loyalty_points_redeemed", "/account/rewards"),
    ("click_and_collect_selected", "/checkout/delivery"),
    ("gift_card_balance_checked", "/gift-cards"),
    ("review_submitted", "/p/"),
    ("return_started", "/account/returns"),
    ("back_in_stock_requested", "/p/"),
    ("live_chat_opened", "/help"),
    ("newsletter_unsubscribed", "/account/preferences"),
)
APP_SCREENS = ("Home", "Product", "Basket", "Checkout", "Order Tracking", "Rewards", "Scanner")
CUSTOM_EVENTS = (
    ("pos", "in_store_purchase", "attributes.amount"),
    ("pos", "loyalty_card_scanned", "attributes.points"),
    ("kiosk", "kiosk_search_performed", "attributes.results"),
    ("kiosk", "stock_check_requested", "attributes.quantity"),
)


@dataclass(frozen=True, slots=True)
class Definition:
    kind: str  # segment | outcome | actionmap | actiontemplate
    id: str
    body: Json  # the Genesys JSON an administrator would POST


def _id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _criterion(key: str, value: str, operator: str = "equal", ignore_case: bool = False) -> Json:
    return {"key": key, "values": [value], "operator": operator, "shouldIgnoreCase": ignore_case}


def _other_pattern(number: int, count: int) -> Json:
    """A journey pattern on events the workloads never produce (web, app or custom by turn)."""
    stream = number % 5
    if stream < 3:  # 60%: web events of other names
        name, path = OTHER_WEB_EVENTS[number % len(OTHER_WEB_EVENTS)]
        return {
            "streamType": "Web",
            "sessionType": "web",
            "eventName": name,
            "count": count,
            "criteria": [_criterion("page.url", path, "containsAny", ignore_case=True)],
        }
    if stream == 3:  # 20%: app screens
        return {
            "streamType": "App",
            "sessionType": "app",
            "eventName": "screen_viewed",
            "count": count,
            "criteria": [_criterion("screenName", APP_SCREENS[number % len(APP_SCREENS)])],
        }
    session_type, name, key = CUSTOM_EVENTS[number % len(CUSTOM_EVENTS)]  # 20%: in-store
    return {
        "streamType": "Custom",
        "sessionType": session_type,
        "eventName": name,
        "count": count,
        "criteria": [_criterion(key, str(10 * (1 + number % 9)), "greaterThan")],
    }


def _condition(pattern: Json) -> Json:
    """The event condition an action map puts on the events of ``pattern``."""
    [criterion] = pattern["criteria"]
    return {
        "key": criterion["key"],
        "values": criterion["values"],
        "operator": criterion["operator"],
        "streamType": pattern["streamType"],
        "sessionType": pattern["sessionType"],
        "eventName": pattern["eventName"],
    }


_CONTEXTS = (
    _criterion("device.category", "mobile", ignore_case=True),
    _criterion("mktCampaign.medium", "email"),
    _criterion("geolocation.country", "GB"),
    _criterion("browser.family", "Safari"),
)


def _action(number: int, title: str) -> Json:
    """An action map's action: a content offer, a messaging offer, a flow or an open action."""
    kind = number % 4
    if kind == 0:
        return {
            "mediaType": "contentOffer",
            "actionTemplate": {"id": TEMPLATE_IDS[number % len(TEMPLATE_IDS)]},
        }
    if kind == 1:
        return {
            "mediaType": "webMessagingOffer",
            "webMessagingOfferFields": {"offerText": f"Questions about {title.lower()}?"},
        }
    if kind == 2:
        return {
            "mediaType": "architectFlow",
            "architectFlowFields": {
                "architectFlow": {"id": FLOW_ID},
                "flowRequestMappings": [
                    {
                        "name": "reason",
                        "attributeType": "String",
                        "mappingType": "HardCoded",
                        "value": title,
                    }
                ],
            },
        }
    return {
        "mediaType": "openAction",
        "openActionFields": {
            "openAction": {"id": f"oa-{number % 7}", "name": "CRM task"},
            "configurationFields": {"priority": 1 + number % 3},
        },
    }


def _title(pattern: Json) -> str:
    return str(pattern["eventName"]).replace("_", " ").capitalize()


def unrelated_definitions(count: int) -> list[Definition]:
    """``count`` segments, outcomes and action maps (4 : 2 : 4) about events the workloads
    never produce. The same count gives the same definitions, and a smaller count a prefix."""
    out: list[Definition] = []
    segments: list[str] = []
    for number in range(count):
        slot = number % 10
        turn = number + number // 10  # each kind of definition meets every stream in turn
        pattern = _other_pattern(turn, 1 + number % 3)
        title = f"{_title(pattern)} #{number}"
        if slot < 4:
            body: Json = {"displayName": title, "journey": {"patterns": [pattern]}}
            if slot == 1:  # a sequence: these, then another event of the same stream
                body["journey"]["patterns"].append(_other_pattern(turn + 5, 1))
            if slot == 2:
                body["context"] = {"patterns": [{"criteria": [_CONTEXTS[number % 4]]}]}
            if slot == 3:
                body["scope"] = "Customer"
                body["assignmentExpirationDays"] = 30
            segment_id = _id("segment", str(number))
            segments.append(segment_id)
            out.append(Definition("segment", segment_id, body))
        elif slot < 6:
            body = {"displayName": title, "journey": {"patterns": [pattern]}, "isPositive": True}
            if pattern["streamType"] == "Custom":
                key = pattern["criteria"][0]["key"]
                body["associatedValueField"] = {"dataType": "Number", "name": key}
            out.append(Definition("outcome", _id("outcome", str(number)), body))
        else:
            body = {"displayName": title, "action": _action(number, _title(pattern))}
            if slot == 9 and segments:  # when a segment is assigned, not on an event
                body["triggerWithSegments"] = [segments[-1]]
            else:
                body["triggerWithEventConditions"] = [_condition(pattern)]
                body["activation"] = {"type": "immediate"}
            out.append(Definition("actionmap", _id("actionmap", str(number)), body))
    return out


def _page(path: str, count: int) -> Json:
    return {
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
        "count": count,
        "criteria": [_criterion("page.url", path, "containsAny", ignore_case=True)],
    }


def _web_event(name: str, count: int = 1) -> Json:
    return {"streamType": "Web", "sessionType": "web", "eventName": name, "count": count}


def _call(name: str, *criteria: Json) -> Json:
    return {
        "streamType": "Conversation",
        "sessionType": "conversation",
        "eventName": name,
        "count": 1,
        "criteria": list(criteria),
    }


def _related_web() -> list[Definition]:
    browsed = _id("segment", "related-web-browsed")
    basket, help_page = _condition(_page("/basket", 1)), _condition(_page("/help/delivery", 1))
    return [
        Definition("segment", browsed, {"displayName": "Browsed three products",
                   "journey": {"patterns": [_page("/p/", 3)]}}),
        Definition("segment", _id("segment", "related-web-basket"), {
            "displayName": "Has seen the basket", "scope": "Customer",
            "assignmentExpirationDays": 7, "journey": {"patterns": [_page("/basket", 1)]}}),
        Definition("segment", _id("segment", "related-web-searcher"), {
            "displayName": "Searches then browses", "journey": {
                "patterns": [_web_event("search_performed"), _page("/p/", 1)]}}),
        Definition("segment", _id("segment", "related-web-mobile"), {
            "displayName": "Mobile browsers",
            "context": {"patterns": [{"criteria": [_CONTEXTS[0]]}]},
            "journey": {"patterns": [_page(SITE, 2)]}}),
        Definition("outcome", _id("outcome", "related-web-checkout"), {
            "displayName": "Started checkout", "isPositive": True,
            "journey": {"patterns": [_web_event("checkout_started")]},
            "associatedValueField": {"dataType": "Number", "name": "attributes.value"}}),
        Definition("outcome", _id("outcome", "related-web-added"), {
            "displayName": "Added to basket", "isPositive": True,
            "journey": {"patterns": [_web_event("product_added")]}}),
        Definition("outcome", _id("outcome", "related-web-help"), {
            "displayName": "Read the delivery help", "journey": {
                "patterns": [_page("/help/delivery", 1)]}}),
        Definition("actionmap", _id("actionmap", "related-web-basket"), {
            "displayName": "Basket reminder", "activation": {"type": "immediate"},
            "triggerWithEventConditions": [basket], "action": _action(0, "Basket")}),
        Definition("actionmap", _id("actionmap", "related-web-help"), {
            "displayName": "Delivery questions", "activation": {"type": "immediate"},
            "triggerWithEventConditions": [help_page], "action": _action(1, "Delivery")}),
        Definition("actionmap", _id("actionmap", "related-web-browsed"), {
            "displayName": "Follow up a browser", "triggerWithSegments": [browsed],
            "action": _action(2, "Browsed three products")}),
    ]  # fmt: skip


def _related_conversation() -> list[Definition]:
    waited = _id("segment", "related-call-waited")
    long_wait = _criterion("waitSeconds", "60", "greaterThan")
    abandoned = _criterion("acdOutcome", "Abandon")
    return [
        Definition("segment", waited, {"displayName": "Waited over a minute",
                   "journey": {"patterns": [_call("ended", long_wait)]}}),
        Definition("segment", _id("segment", "related-call-abandoned"), {
            "displayName": "Abandoned a queue", "scope": "Customer",
            "assignmentExpirationDays": 1, "journey": {"patterns": [_call("ended", abandoned)]}}),
        Definition("segment", _id("segment", "related-call-voice"), {
            "displayName": "Voice callers",
            "journey": {"patterns": [_call("routed", _criterion("mediaType", "Voice"))]}}),
        Definition("segment", _id("segment", "related-call-answered-late"), {
            "displayName": "Answered after a wait", "journey": {"patterns": [
                _call("routed"), _call("connected", _criterion("waitSeconds", "30", "greaterThan"))
            ]}}),
        Definition("outcome", _id("outcome", "related-call-answered"), {
            "displayName": "Answered", "isPositive": True,
            "journey": {"patterns": [_call("connected")]}}),
        Definition("outcome", _id("outcome", "related-call-long"), {
            "displayName": "Long call", "journey": {"patterns": [
                _call("ended", _criterion("talkSeconds", "300", "greaterThan"))]}}),
        Definition("outcome", _id("outcome", "related-call-agent-ended"), {
            "displayName": "Agent ended", "journey": {"patterns": [
                _call("ended", _criterion("endedBy", "agent"))]}}),
        Definition("actionmap", _id("actionmap", "related-call-abandoned"), {
            "displayName": "Call back abandoned callers", "activation": {"type": "immediate"},
            "triggerWithEventConditions": [_condition(_call("ended", abandoned))],
            "action": _action(2, "Abandoned")}),
        Definition("actionmap", _id("actionmap", "related-call-outbound"), {
            "displayName": "Log outbound calls", "activation": {"type": "immediate"},
            "triggerWithEventConditions": [_condition(
                _call("connected", _criterion("direction", "Outbound")))],
            "action": _action(3, "Outbound")}),
        Definition("actionmap", _id("actionmap", "related-call-waited"), {
            "displayName": "Apologise for the wait", "triggerWithSegments": [waited],
            "action": _action(2, "Waited")}),
    ]  # fmt: skip


def related_definitions(workload: Workload, count: int) -> list[Definition]:
    """``count`` definitions that concern ``workload``'s events (the ten above, in turn; more
    than ten repeat them under other ids)."""
    base = _related_web() if workload == "web" else _related_conversation()
    out: list[Definition] = []
    ids: dict[str, str] = {}  # a base id -> its copy in this round (a map names its segment)
    for number in range(count):
        found = base[number % len(base)]
        round_ = number // len(base)
        ids[found.id] = found.id if round_ == 0 else _id(found.kind, f"{found.id}-{round_}")
        body = json.loads(json.dumps(found.body))
        if "triggerWithSegments" in body:  # its segment comes first in every round
            body["triggerWithSegments"] = [ids[s] for s in body["triggerWithSegments"]]
        out.append(Definition(found.kind, ids[found.id], body))
    return out


def _templates() -> list[Definition]:
    offer = {
        "displayMode": "Toast",
        "layoutMode": "TextOnly",
        "title": "Still thinking it over?",
        "body": "Your basket is saved for 7 days.",
        "callToAction": {"text": "View basket", "url": f"{SITE}/basket", "target": "Self"},
    }
    return [
        Definition(
            "actiontemplate",
            template_id,
            {"name": f"Offer {n + 1}", "mediaType": "contentOffer", "contentOffer": offer},
        )
        for n, template_id in enumerate(TEMPLATE_IDS)
    ]


_DECODERS: dict[str, Callable[..., Any]] = {
    "segment": wire.decode_segment,
    "outcome": wire.decode_outcome,
    "actionmap": wire.decode_action_map,
    "actiontemplate": wire.decode_action_template,
}


def define(path: Path, definitions: Sequence[Definition], *, base: Path | None) -> None:
    """A store at ``path`` (a copy of ``base``, else new, with the flow and the action
    templates) that also holds ``definitions``, each put by a ``PutDefinition`` command through
    ``Engine.apply`` as the API does."""
    if base is not None:
        copy_store(base, path)
    store = open_store(f"sqlite:///{path}")
    try:
        now = system_clock()
        if base is None:
            definitions = [*_templates(), *definitions]
            with store.transaction():
                store.flow_put(
                    Flow(FLOW_ID, "bench", "https://crm.example.com/hooks", None, now, now)
                )
                store.flow_secret_put(FLOW_ID, new_secret(), now)
        engine = Engine(store, system_clock)
        inputs = []
        for d in definitions:
            record = _DECODERS[d.kind](json.dumps(d.body).encode(), id=d.id, now_ms=now)
            command = PutDefinition(
                actor="bench", at_ms=now, kind=d.kind, id=d.id, doc=ENCODERS[d.kind](record)
            )
            inputs.append(CommandInput(f"bench-define-{d.kind}-{d.id}", command))
        for applied in engine.apply(inputs).results:
            if applied.error is not None:
                raise BenchError(f"a bench definition was refused: {applied.error}")
    finally:
        store.close()


def active_counts(path: Path) -> dict[str, int]:
    """The active definitions of each kind in the store at ``path``."""
    store = open_store(f"sqlite:///{path}")
    try:
        return {
            kind: sum(d.is_active for d in store.definitions(kind))
            for kind in ("segment", "outcome", "actionmap")
        }
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class Prepared:
    """The stores the definition figures start from: ``unrelated[n]`` holds n unrelated
    definitions, ``related[workload]`` the most unrelated ones plus the related ones."""

    unrelated: dict[int, Path]
    related: dict[Workload, Path]


def prepare(root: Path, counts: Sequence[int], related: int) -> Prepared:
    """Make the stores, the larger each from a copy of the one before (see the module doc)."""
    unrelated: dict[int, Path] = {}
    previous: Path | None = None
    made = 0
    everything = unrelated_definitions(max(counts, default=0))
    for count in sorted(set(counts)):
        path = root / f"definitions-{count}.db"
        define(path, everything[made:count], base=previous)
        unrelated[count] = path
        previous, made = path, count
    related_stores: dict[Workload, Path] = {}
    if related:
        workloads: tuple[Workload, ...] = ("conversation", "web")
        for workload in workloads:
            path = root / f"definitions-{made}-related-{workload}.db"
            define(path, related_definitions(workload, related), base=previous)
            related_stores[workload] = path
    return Prepared(unrelated, related_stores)


#: What evaluating the definitions left in a store: table -> the name of its count.
DECIDED = {
    "criteria_progress": "progress_rows",
    "segment_assignments": "assignments",
    "outcome_achievements": "achievements",
    "journey_actions": "actions",
    "outbox": "flow_deliveries",
}


def decided(path: Path, run: Run, unrelated: int, related: int) -> Run:
    """``run`` with the definitions it ran with and what they decided in the store at ``path``."""
    counts = {name: count_rows(path, table) for table, name in DECIDED.items()}
    details = {"unrelated_definitions": unrelated, "related_definitions": related, **counts}
    return Run(run.events, run.seconds, {**run.details, **details})
