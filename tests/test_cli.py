"""The command line, run as a user runs it: a real process on a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from builders import Conversation
from conftest import SAMPLES, bearer, make_client
from journeyline.api.app import create_app
from journeyline.cli import build_parser, demo_agent_sign_in, main
from journeyline.config import Settings
from journeyline.core.conversation import session_id_for
from journeyline.store import open_store
from journeyline.store.base import DirectoryEntry
from signing_in import PASSWORD, sign_in, who


def run(*args: str, stdin_text: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeyline.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        input=stdin_text,
    )


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("serve", "import", "demo", "rebuild", "clients", "users", "directory", "bench"):
        assert command in result.stdout


def test_every_command_takes_store() -> None:
    parser = build_parser()
    for argv in (
        ["serve"],
        ["import", "f"],
        ["demo"],
        ["rebuild"],
        ["clients", "create", "--name", "n"],
        ["clients", "list"],
        *(["clients", c, "client-id"] for c in ("disable", "enable", "delete", "revoke", "secret")),
        ["users", "create", "--name", "n"],
        ["directory", "import", "f"],
    ):
        args = parser.parse_args([*argv, "--store", "sqlite:///x.db"])
        assert args.store == "sqlite:///x.db"


def test_import_then_rebuild(store_url: str, tmp_path: Path) -> None:
    lines = (SAMPLES / "inbound-call-answered.jsonl").read_text().splitlines()
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join([*lines, lines[0], "{broken", ""]) + "\n")
    result = run("import", str(file), "--store", store_url)
    assert json.loads(result.stdout) == {"accepted": 9, "duplicate": 1, "refused": 0, "rejected": 1}
    assert "line 11: rejected: malformed JSON" in result.stderr
    assert result.returncode == 1
    store = open_store(store_url)
    before = store.snapshot()
    conversation_id = json.loads(lines[0])["eventBody"]["conversationId"]
    assert store.get_session(session_id_for(conversation_id)) is not None
    store.close()
    rebuilt = run("rebuild", "--store", store_url)
    assert json.loads(rebuilt.stdout) == {"sessions": 1, "logEvents": 9}
    store = open_store(store_url)
    assert store.snapshot() == before
    store.close()


def test_import_reports_a_line_nested_too_deeply_and_keeps_the_others(
    store_url: str, tmp_path: Path
) -> None:
    """A line of 3,000 nested arrays is a rejected line like any malformed one. (Before, the
    decoder's RecursionError ended the command with a traceback, keeping nothing.)"""
    lines = (SAMPLES / "inbound-call-answered.jsonl").read_text().splitlines()
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join(["[" * 3000 + "]" * 3000, *lines]) + "\n")
    result = run("import", str(file), "--store", store_url)
    assert json.loads(result.stdout) == {"accepted": 9, "duplicate": 0, "refused": 0, "rejected": 1}
    assert "line 1: rejected: malformed JSON" in result.stderr


def _jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    return path


def test_import_reports_an_erased_customers_event_as_refused_not_a_duplicate(
    store_url: str, tmp_path: Path
) -> None:
    """A call whose caller was erased goes on: its next event is refused for 60 days (it would
    make the erased session again). ``journeyline import`` counts it ``refused`` and says why
    on its line; it was counted a ``duplicate`` before, as if it had been stored already."""
    ada = Conversation("call-ada", ani="tel:+15550002222")
    eve = Conversation("call-eve", ani="tel:+15550003333").customer_start(0).wire
    first = run(
        "import",
        str(_jsonl(tmp_path / "a.jsonl", ada.customer_start(0).wire)),
        "--store",
        store_url,
    )
    assert first.returncode == 0, first.stderr
    credentials = make_client(store_url)
    with TestClient(create_app(Settings(store_url=store_url))) as client:  # the system clock
        headers = bearer(client, credentials)
        found = client.post(
            "/api/v2/externalcontacts/identifierlookup",
            json={"type": "Phone", "value": "+15550002222"},
            headers=headers,
        )
        assert found.status_code == 200, found.text
        erased = client.delete(
            f"/api/v2/externalcontacts/contacts/{found.json()['id']}", headers=headers
        )
        assert erased.status_code == 204, erased.text
    ada.wire.clear()
    lines = [*eve, *ada.acd_start(30, "q1").wire, *eve]
    result = run("import", str(_jsonl(tmp_path / "b.jsonl", lines)), "--store", store_url)
    assert json.loads(result.stdout) == {
        "accepted": 1,
        "duplicate": 1,
        "refused": 1,
        "rejected": 0,
    }
    assert result.stderr.splitlines() == [
        "line 2: refused: this conversation was erased (right to erasure): its new events are"
        " refused for 60 days"
    ]
    assert result.returncode == 0  # nothing in the file is wrong: the refusal is the rule's
    store = open_store(store_url)
    try:
        assert store.get_session(session_id_for("call-ada")) is None
        assert store.get_session(session_id_for("call-eve")) is not None
    finally:
        store.close()


def test_store_from_the_environment(store_url: str, tmp_path: Path) -> None:
    file = tmp_path / "one.jsonl"
    file.write_text((SAMPLES / "inbound-call-answered.jsonl").read_text().splitlines()[0])
    result = subprocess.run(
        [sys.executable, "-m", "journeyline.cli", "import", str(file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"JOURNEYLINE_STORE": store_url, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    store = open_store(store_url)
    assert store.log_count() == 1
    store.close()


def test_clients_create_prints_credentials(store_url: str) -> None:
    result = run("clients", "create", "--name", "crm", "--role", "agent", "--store", store_url)
    credentials = json.loads(result.stdout)
    assert set(credentials) == {"clientId", "clientSecret"}
    store = open_store(store_url)
    client = store.client_get(credentials["clientId"])
    store.close()
    assert client is not None
    assert (client.name, client.role) == ("crm", "agent")


def test_clients_are_listed_disabled_enabled_given_a_secret_revoked_and_deleted(
    store_url: str,
) -> None:
    def ok(*args: str) -> Any:
        result = run("clients", *args, "--store", store_url)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    made = ok("create", "--name", "crm", "--role", "agent")
    client_id, secret = made["clientId"], made["clientSecret"]
    [listed] = ok("list")
    assert (listed["id"], listed["name"], listed["role"], listed["state"]) == (
        client_id,
        "crm",
        "agent",
        "active",
    )
    assert "secret" not in listed
    assert secret not in run("clients", "list", "--store", store_url).stdout
    with TestClient(create_app(Settings(store_url=store_url))) as client:

        def mint(credentials: tuple[str, str]) -> int:
            form = {"grant_type": "client_credentials"}
            return client.post("/oauth/token", data=form, auth=credentials).status_code

        token = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        ).json()["access_token"]
        assert ok("disable", client_id)["state"] == "disabled"
        assert mint((client_id, secret)) == 401
        assert ok("enable", client_id)["state"] == "active"
        assert mint((client_id, secret)) == 200
        rotated = ok("secret", client_id)
        assert rotated["clientId"] == client_id
        assert (mint((client_id, secret)), mint((client_id, rotated["clientSecret"]))) == (401, 200)
        assert ok("revoke", client_id) == {"clientId": client_id, "revoked": 2}
        assert ok("delete", client_id) == {"deleted": client_id}
        assert mint((client_id, rotated["clientSecret"])) == 401
        refused = client.get(
            "/api/v2/journey/sessions", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 401
    assert ok("list") == []
    missing = run("clients", "revoke", client_id, "--store", store_url)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        f"journeyline: no OAuth client with id {client_id}",
    )


def test_users_create_makes_a_user_who_signs_in(store_url: str) -> None:
    args = ["users", "create", "--name", "Ann", "--email", "Ann@Example.com"]
    result = run(*args, "--role", "supervisor", "--store", store_url, stdin_text=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)
    assert set(made) == {"userId", "email", "role"}
    assert (made["email"], made["role"]) == ("ann@example.com", "supervisor")
    assert PASSWORD not in result.stdout + result.stderr
    with TestClient(create_app(Settings(store_url=store_url))) as client:
        assert sign_in(client).status_code == 303
        assert who(client) == "Ann"
    again = run(*args, "--store", store_url, stdin_text=PASSWORD + "\n")
    assert again.returncode == 2
    assert "another user has the email ann@example.com" in again.stderr


def test_users_create_without_a_password_or_with_a_bad_one(store_url: str) -> None:
    entry = run("users", "create", "--name", "Bob", "--no-password", "--id", "agent-7",
                "--store", store_url)  # fmt: skip
    assert json.loads(entry.stdout) == {"userId": "agent-7"}
    short = run("users", "create", "--name", "Cy", "--email", "cy@example.com",
                "--store", store_url, stdin_text="short\n")  # fmt: skip
    assert short.returncode == 2
    assert "password must be 12 to 1024 characters" in short.stderr
    no_email = run("users", "create", "--name", "Dee", "--store", store_url, stdin_text=PASSWORD)
    assert no_email.returncode == 2
    assert "--email" in no_email.stderr
    store = open_store(store_url)
    try:
        assert store.directory_names("user", ["agent-7"]) == {"agent-7": "Bob"}
        assert store.account_get("agent-7") is None
        assert store.account_by_email("cy@example.com") is None
    finally:
        store.close()


def test_users_create_help_says_where_the_password_comes_from() -> None:
    result = run("users", "create", "--help")
    assert result.returncode == 0
    for option in ("--name", "--email", "--role", "--no-password", "--id", "--store"):
        assert option in result.stdout
    assert "stdin" in result.stdout


def test_the_demo_agent_gets_a_new_password_each_time(store_url: str) -> None:
    store = open_store(store_url)
    try:
        with store.transaction():
            store.directory_put(DirectoryEntry("user", "maria", "Maria Gonzalez", 0))
        first = demo_agent_sign_in(store, 0)
        second = demo_agent_sign_in(store, 0)
        account = store.account_by_email("demo.agent@example.com")
    finally:
        store.close()
    assert first is not None
    assert second is not None
    assert first != second
    assert account is not None
    assert (account.user_id, account.role) == ("maria", "agent")
    password = second.split("with the password ")[1].split(" ")[0]
    with TestClient(create_app(Settings(store_url=store_url))) as client:
        old = first.split("with the password ")[1].split(" ")[0]
        assert sign_in(client, "demo.agent@example.com", old).status_code == 400
        assert sign_in(client, "demo.agent@example.com", password).status_code == 303
        assert who(client) == "Maria Gonzalez"


def test_directory_import(store_url: str, tmp_path: Path) -> None:
    file = tmp_path / "directory.json"
    file.write_text(
        json.dumps(
            {
                "queues": [{"id": "q1", "name": "Sales"}],
                "users": [{"id": "u1", "name": "Ann"}, {"id": "u2", "name": "Bob"}],
                "wrapupCodes": [{"id": "w1", "name": "Sale"}],
            }
        )
    )
    result = run("directory", "import", str(file), "--store", store_url)
    assert json.loads(result.stdout) == {"queues": 1, "users": 2, "wrapupCodes": 1}
    store = open_store(store_url)
    assert store.directory_names("user", ["u1", "u2", "u3"]) == {"u1": "Ann", "u2": "Bob"}
    store.close()
    bad = tmp_path / "bad.json"
    bad.write_text('{"queues": [{"name": "no id"}]}')
    failed = run("directory", "import", str(bad), "--store", store_url)
    assert failed.returncode == 2
    assert "invalid directory file" in failed.stderr


def store_definitions(store_url: str, kind: str) -> list[Any]:
    store = open_store(store_url)
    try:
        return list(store.definitions(kind))
    finally:
        store.close()


def test_demo_loads_a_day_once(store_url: str) -> None:
    assert main(["demo", "--store", store_url, "--conversations", "40"]) == 0
    store = open_store(store_url)
    snapshot = store.snapshot()
    events = store.log_count()
    store.close()
    contact_of = {link.session_id: link.contact_id for link in snapshot.links}
    called = {contact_of[s.id] for s in snapshot.conversations}
    browsed = {contact_of[s.id] for s in snapshot.web_sessions if s.type == "web"}
    assert len(snapshot.conversations) == 40
    assert browsed  # some callers browsed the shop first ...
    assert browsed & called - {None}  # ... and are one person
    maps = {m.display_name for m in store_definitions(store_url, "actionmap")}
    assert {"Linen 10% off for browsers", "Help at the cart"} <= maps  # the shop's web offers
    assert {a.media_type for a in snapshot.actions} >= {"webMessagingOffer"}  # a visit qualified
    second = run("demo", "--store", store_url, "--conversations", "40")
    assert json.loads(second.stdout)["loaded"] is False
    store = open_store(store_url)
    assert store.log_count() == events
    store.close()


def test_unsupported_store_url_is_a_clear_error(tmp_path: Path) -> None:
    result = run("rebuild", "--store", "mysql://nope")
    assert result.returncode == 2
    assert "unsupported store URL scheme 'mysql'" in result.stderr


def test_a_setting_that_is_not_a_number_is_a_clear_error(tmp_path: Path) -> None:
    import os

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "JOURNEYLINE_ACW_GRACE_SECONDS": "ten minutes"}
    done = subprocess.run(
        [sys.executable, "-m", "journeyline.cli", "rebuild", "--store", url],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert "JOURNEYLINE_ACW_GRACE_SECONDS must be a whole number" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_file_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    done = run("import", str(tmp_path / "missing.jsonl"), "--store", f"sqlite:///{tmp_path}/x.db")
    assert done.returncode == 2
    assert "cannot read" in done.stderr
    assert "Traceback" not in done.stderr
