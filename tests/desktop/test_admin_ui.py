"""The admin screens in a real browser (Debian's chromium, Playwright): axe-core finds nothing
serious or critical on any of them, in English and French and at 360 px; an error is the
described text of its input; the Copy button copies the tracker tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.conftest import Desk

SCREENS = [
    "/desktop/admin",
    "/desktop/admin/directory/queues",
    "/desktop/admin/directory/agents",
    "/desktop/admin/deployments",
    "/desktop/admin/segments",
    "/desktop/admin/segments/new",
    "/desktop/admin/outcomes/new",
    "/desktop/admin/actionmaps/new",
    "/desktop/admin/actiontemplates/new",
    "/desktop/admin/flows",
    "/desktop/admin/deadletters",
    "/desktop/admin/clients",
    "/desktop/admin/users",
]


def test_axe_finds_nothing_serious_on_the_admin_screens(open_desk: Callable[..., Desk]) -> None:
    found: dict[str, Any] = {}
    for locale in ("en-US", "fr-FR"):
        desk = open_desk("admin", locale=locale, axe=True)
        for path in SCREENS:
            desk.goto(path)
            found[f"{locale} {path}"] = desk.axe()
        desk.page.set_viewport_size({"width": 360, "height": 740})
        for path in ("/desktop/admin/deployments", "/desktop/admin/segments/new"):
            desk.goto(path)
            found[f"{locale} {path} at 360 px"] = desk.axe()
            assert desk.page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert {screen: v for screen, v in found.items() if v} == {}


def test_a_bad_colour_is_the_described_error_of_the_colour_input(
    open_desk: Callable[..., Desk],
) -> None:
    desk = open_desk("supervisor", axe=True)
    desk.expected.add("/desktop/admin/segments")  # the 400 of the form shown again
    desk.goto("/desktop/admin/segments/new")
    desk.page.get_by_label("Name", exact=True).fill("<b>Carts</b>")
    desk.page.get_by_label("Colour").fill("red")
    desk.page.get_by_role("button", name="Create").click()
    colour = desk.page.get_by_label("Colour")
    assert colour.get_attribute("aria-invalid") == "true"
    described = colour.evaluate(
        "el => el.getAttribute('aria-describedby').split(' ')"
        ".map(id => document.getElementById(id).textContent).join(' | ')"
    )
    assert "color: Expected `str` matching regex" in described
    assert desk.page.get_by_label("Name", exact=True).input_value() == "<b>Carts</b>"
    assert desk.axe() == []


def test_the_copy_button_copies_the_tracker_tag(open_desk: Callable[..., Desk]) -> None:
    desk = open_desk("admin", permissions=["clipboard-read", "clipboard-write"])
    desk.goto("/desktop/admin/deployments")
    desk.page.get_by_label("Name", exact=True).fill("UI shop")
    desk.page.get_by_label("Allowed domains").fill("ui-shop.example.com")
    desk.page.get_by_role("button", name="Create").click()
    desk.page.wait_for_url("**/desktop/admin/deployments?notice=created")
    panel = desk.page.locator("article.panel", has_text="UI shop")
    tag = panel.locator("pre code").text_content()
    assert tag is not None
    assert tag.startswith('<script src="')
    assert "journeyline.js" in tag
    panel.get_by_role("button", name="Copy the tag").click()
    desk.page.locator("#live-status", has_text="Copied").wait_for()
    assert desk.page.evaluate("navigator.clipboard.readText()") == tag
