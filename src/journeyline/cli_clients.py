"""``journeyline clients``: create, list, disable, enable, delete OAuth clients, revoke their
tokens, give one a new secret — on the store directly, each in a transaction of its own
(``api.clients`` has the functions, the API and the desktop run the same ones).

A running server believes a token it has cached for ``api.auth.TOKEN_CACHE_SECONDS`` (5) at
most: what is disabled, deleted or revoked here is refused by every server on the store within
that.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeVar

from journeyline.clock import system_clock
from journeyline.config import Settings
from journeyline.store import Store, open_store

T = TypeVar("T")
ROLE_CHOICES = ["admin", "supervisor", "agent", "ingest"]


def _in_store(settings: Settings, change: Callable[[Store], T]) -> T:
    store = open_store(settings.store_url)
    try:
        with store.transaction():
            return change(store)
    finally:
        store.close()


def add_commands(
    commands: Any,
    add_store: Callable[[argparse.ArgumentParser], None],
    settings_of: Callable[[argparse.Namespace], Settings],
    show: Callable[[Any], None],
) -> None:
    """The subcommands of ``journeyline clients``, on its subparsers ``commands``."""
    from journeyline.api import clients as api
    from journeyline.api.auth import TOKEN_CACHE_SECONDS

    within = f"; running servers refuse its tokens within {TOKEN_CACHE_SECONDS} seconds"

    def doc(settings: Settings, client: Any) -> Any:
        return api.client_doc(client, settings.token_ttl_seconds)

    def cmd_create(args: argparse.Namespace) -> int:
        change = api.client_change(name=args.name, role=args.role)
        now = system_clock()
        client, secret = _in_store(settings_of(args), lambda s: api.create_from(s, change, now))
        show({"clientId": client.client_id, "clientSecret": secret})
        return 0

    def cmd_list(args: argparse.Namespace) -> int:
        settings = settings_of(args)
        found = _in_store(settings, lambda s: s.clients())
        show([doc(settings, c) for c in found])
        return 0

    def state(to: str) -> Callable[[argparse.Namespace], int]:
        def run(args: argparse.Namespace) -> int:
            settings = settings_of(args)
            change, now = api.client_change(state=to), system_clock()
            changed = _in_store(
                settings, lambda s: api.change_client(s, args.client_id, change, now)
            )
            show(doc(settings, changed))
            return 0

        return run

    def cmd_delete(args: argparse.Namespace) -> int:
        _in_store(settings_of(args), lambda s: api.delete_client(s, args.client_id))
        show({"deleted": args.client_id})
        return 0

    def cmd_revoke(args: argparse.Namespace) -> int:
        count = _in_store(settings_of(args), lambda s: api.revoke_tokens(s, args.client_id))
        show({"clientId": args.client_id, "revoked": count})
        return 0

    def cmd_secret(args: argparse.Namespace) -> int:
        now = system_clock()
        client, secret = _in_store(
            settings_of(args), lambda s: api.rotate_secret(s, args.client_id, now)
        )
        show({"clientId": client.client_id, "clientSecret": secret})
        return 0

    create = commands.add_parser("create", help="create a client; prints id and secret")
    add_store(create)
    create.add_argument("--name", required=True, help="a name to recognise the client by")
    create.add_argument("--role", default="admin", choices=ROLE_CHOICES, help="default admin")
    create.set_defaults(run=cmd_create)

    listing = commands.add_parser(
        "list", help="print every client (id, name, role, state; never a secret), by name"
    )
    add_store(listing)
    listing.set_defaults(run=cmd_list)

    for name, run, about in (
        ("disable", state("disabled"), "disable a client: it mints no token" + within),
        ("enable", state("active"), "enable a disabled client again"),
        ("delete", cmd_delete, "delete a client and its tokens" + within),
        ("revoke", cmd_revoke, "revoke every token of a client (it may mint new ones)" + within),
        (
            "secret",
            cmd_secret,
            "give a client a new secret, printed as {clientId, clientSecret}; the old one"
            " mints no more",
        ),
    ):
        sub = commands.add_parser(name, help=about, description=about[0].upper() + about[1:] + ".")
        add_store(sub)
        sub.add_argument("client_id", metavar="CLIENT_ID", help="the client's id")
        sub.set_defaults(run=run)
