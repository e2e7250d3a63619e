"""Signed identify traits (core.signing): the canonical claim, the signature, when a claim stands;
and docs/web.md's Python and Node.js examples sign exactly as the server checks."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from journeyline.core import signing

DOCS = Path(__file__).parents[2] / "docs" / "web.md"
SECRET = "jlid_0123456789abcdefghijklmnopqrstuvwxyzABCDE"
TYPED = {
    "email": {"dataType": "string", "value": "bob@example.com"},
    "givenName": {"dataType": "string", "value": "Zoë"},
}


@pytest.mark.parametrize(
    ("claim", "text"),
    [
        ({}, "{}"),
        ({"traits": {"b": 1, "a": "x"}}, '{"traits":{"a":"x","b":1}}'),
        (
            {"traits": TYPED, "externalId": "u-1"},
            json.dumps(
                {
                    "externalId": "u-1",
                    "traits": {
                        "email": {"dataType": "string", "value": "bob@example.com"},
                        "givenName": {"dataType": "string", "value": "Zoë"},
                    },
                },
                separators=(",", ":"),
                ensure_ascii=False,
            ),
        ),
        ({"traits": {"name": "Zoë"}}, '{"traits":{"name":"Zoë"}}'),  # not \\u00eb
        (
            {"traits": {"plan": 2.0, "score": 2.5, "n": -3}},
            '{"traits":{"n":-3,"plan":2,"score":2.5}}',
        ),
        ({"traits": {"ok": True, "none": None}}, '{"traits":{"none":null,"ok":true}}'),
        ({"traits": {"tags": [1.0, {"z": 1, "y": 2}]}}, '{"traits":{"tags":[1,{"y":2,"z":1}]}}'),
        ({"traits": {"line": 'a "b"\n'}}, '{"traits":{"line":"a \\"b\\"\\n"}}'),
    ],
)
def test_the_canonical_claim(claim: dict[str, Any], text: str) -> None:
    assert signing.canonical(claim) == text.encode("utf-8")


def test_the_signature_is_hex_hmac_sha256_of_the_canonical_bytes() -> None:
    by_hand = hmac.new(
        SECRET.encode(), '{"externalId":"42","traits":{"a":"é"}}'.encode(), hashlib.sha256
    ).hexdigest()
    assert signing.sign(SECRET, signing.claim_of({"a": "é"}, 42)) == by_hand  # type: ignore[arg-type]
    assert re.fullmatch(r"[0-9a-f]{64}", by_hand)


@pytest.mark.parametrize(
    ("traits", "external_id", "claim"),
    [
        (None, None, {}),
        ({}, None, {}),
        ({"a": 1}, None, {"traits": {"a": 1}}),
        (None, "u-1", {"externalId": "u-1"}),
        ({"a": 1}, "u-1", {"traits": {"a": 1}, "externalId": "u-1"}),
    ],
)
def test_the_claim_holds_what_the_event_has(
    traits: dict[str, Any] | None, external_id: str | None, claim: dict[str, Any]
) -> None:
    assert signing.claim_of(traits, external_id) == claim


RIGHT = signing.sign(SECRET, {"traits": TYPED})


@pytest.mark.parametrize(
    ("mode", "secret", "claim", "signature", "reason"),
    [
        ("off", SECRET, {"traits": TYPED}, None, None),  # not asked for
        ("off", SECRET, {"traits": TYPED}, "wrong", None),  # ignored when off
        ("required", SECRET, {}, None, None),  # nothing to claim
        ("required", SECRET, {"traits": TYPED}, RIGHT, None),
        ("required", SECRET, {"traits": TYPED}, RIGHT.upper(), None),
        ("required", SECRET, {"traits": TYPED}, f" {RIGHT}\n", None),
        ("required", SECRET, {"traits": TYPED}, None, "unsigned"),
        ("required", SECRET, {"traits": TYPED}, "", "unsigned"),
        ("required", None, {"traits": TYPED}, RIGHT, "noSecret"),
        ("required", "jlid_other", {"traits": TYPED}, RIGHT, "badSignature"),
        ("required", SECRET, {"traits": {**TYPED, "x": 1}}, RIGHT, "badSignature"),  # changed
        ("required", SECRET, {"traits": TYPED, "externalId": "u"}, RIGHT, "badSignature"),
        ("required", SECRET, {"traits": TYPED}, RIGHT[:-1], "badSignature"),
        ("required", SECRET, {"traits": TYPED}, "é" * 64, "badSignature"),
        ("required", SECRET, {"traits": {"n": float("nan")}}, RIGHT, "badSignature"),
    ],
)
def test_when_a_claim_stands(
    mode: str,
    secret: str | None,
    claim: dict[str, Any],
    signature: str | None,
    reason: str | None,
) -> None:
    assert signing.refusal(mode, secret, claim, signature) == reason


# -- docs/web.md's examples -------------------------------------------------------------------

CASES = [
    (TYPED, None),
    (TYPED, "user-9"),
    ({"email": "erin@example.com", "firstName": "Erin", "plan": 2.0, "tags": ["a", "b"]}, 42),
    (None, "user-9"),
    ({"nested": {"z": [1, 2.5, {"é": True}], "a": None}}, None),
]


def example(language: str) -> str:
    """The code block of ``language`` in docs/web.md's "Signed traits"."""
    section = DOCS.read_text(encoding="utf-8").split("### Signed traits", 1)[1]
    found = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert found, language
    return found[1]


def expected() -> list[str]:
    return [signing.sign(SECRET, signing.claim_of(t, e)) for t, e in CASES]  # type: ignore[arg-type]


def test_the_python_example_signs_as_the_server_checks() -> None:
    scope: dict[str, Any] = {}
    exec(compile(example("python"), str(DOCS), "exec"), scope)  # noqa: S102 (our own docs)
    assert [scope["traits_signature"](SECRET, t, e) for t, e in CASES] == expected()


def test_the_node_example_signs_as_the_server_checks(tmp_path: Path) -> None:
    script = tmp_path / "sign.js"
    cases = json.dumps([[SECRET, t, e] for t, e in CASES], ensure_ascii=False)
    script.write_text(
        example("js")
        + f"\nfor (const [s, t, e] of {cases}) console.log(traitsSignature(s, t, e));\n",
        encoding="utf-8",
    )
    ran = subprocess.run(
        ["node", str(script)], capture_output=True, text=True, timeout=30, check=True
    )
    assert ran.stdout.split() == expected()
