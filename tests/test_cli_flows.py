"""``journeyline deadletters list`` and ``replay``, in-process on a real SQLite file."""

from __future__ import annotations

import json

import pytest

from journeyline.cli import main
from journeyline.model.flows import Delivery, Flow
from journeyline.store import Store

T0 = 1_795_600_000_000


def dead(n: int) -> Delivery:
    return Delivery(f"msg_{n}", "f1", b'{"n": %d}' % n, T0, T0, 12, "dead", 503, "HTTP 503", T0 + n)


@pytest.fixture
def seeded(store: Store) -> Store:
    with store.transaction():
        store.flow_put(Flow("f1", "Orders", "https://93.184.216.34/hook"))
        for n in range(3):
            store.outbox_put(dead(n))
    return store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_the_dead_letters(
    seeded: Store, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "deadletters", "list", "--store", store_url, "--page-size", "2")
    assert code == 0
    listing = json.loads(out)
    assert listing["total"] == 3
    assert [e["id"] for e in listing["entities"]] == ["msg_2", "msg_1"]
    first = listing["entities"][0]
    assert first["flow"] == {"id": "f1", "name": "Orders", "selfUri": "/api/v2/flows/f1"}
    assert (first["attempts"], first["lastStatus"], first["body"]) == (12, 503, {"n": 2})


def test_replay_one_then_all(
    seeded: Store, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "deadletters", "replay", "msg_1", "--store", store_url)
    assert (code, json.loads(out)) == (0, {"replayed": ["msg_1"]})
    replayed = seeded.outbox_get("msg_1")
    assert replayed is not None
    assert (replayed.state, replayed.attempts) == ("pending", 0)

    code, _, err = run(capsys, "deadletters", "replay", "msg_1", "--store", store_url)
    assert (code, err.strip()) == (2, "journeyline: no dead letter with id msg_1")

    code, out, _ = run(capsys, "deadletters", "replay", "--all", "--store", store_url)
    assert (code, json.loads(out)) == (0, {"replayed": ["msg_0", "msg_2"]})
    assert seeded.deadletters_page(page_number=1, page_size=10) == ([], 0)


@pytest.mark.parametrize(
    "argv",
    [
        ["deadletters", "--help"],
        ["deadletters", "list", "--help"],
        ["deadletters", "replay", "--help"],
    ],
)
def test_help_is_there(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    assert "usage: journeyline deadletters" in capsys.readouterr().out


def test_replay_wants_an_id_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["deadletters", "replay"])
    assert exited.value.code == 2
    assert "one of the arguments id --all is required" in capsys.readouterr().err
