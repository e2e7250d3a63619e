"""``journeyline``: a thin command-line shell over the app, the engine and the store.

Every command takes ``--store URL`` (default: ``$JOURNEYLINE_STORE``, else the embedded SQLite
file ``sqlite:///data/journeyline.db``).
"""

from __future__ import annotations

import argparse
import gc
import json
import secrets
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from journeyline import cli_bench, cli_clients
from journeyline.clock import system_clock
from journeyline.config import DEFAULT_STORE, Settings
from journeyline.model.errors import InvalidInput, JourneylineError, NotFound
from journeyline.store import Store, open_store


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        store_url=args.store,
        role=getattr(args, "serve_role", None),
        nats_url=getattr(args, "nats", None),
        nats_stream=getattr(args, "nats_stream", None),
    )


def _print(doc: Any) -> None:
    print(json.dumps(doc, indent=2))


def _lines(path: str) -> Iterator[tuple[int, bytes]]:
    try:
        handle = sys.stdin.buffer if path == "-" else Path(path).open("rb")  # noqa: SIM115
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="FILE") from exc
    with handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


def cmd_serve(args: argparse.Namespace, live_client: tuple[str, str] | None = None) -> int:
    """Serve the API; with ``live_client`` (the demo's admin client), the living demo beside it."""
    from journeyline import logs
    from journeyline.api.app import create_app
    from journeyline.api.server import run_server, server_config

    settings = _settings(args)
    settings.check_scale_out()
    open_store(settings.store_url).close()  # migrate (and fail) before binding the port
    if settings.role == "worker":
        return _run_worker(settings, args.log_level)
    print(f"journeyline: serving {settings.store_url} on http://{args.host}:{args.port}")
    app = create_app(settings)
    logs.configure(args.log_level)
    config = server_config(app, settings, host=args.host, port=args.port, log_level=args.log_level)
    if live_client is None:
        return run_server(config)
    from journeyline.demo import live

    rate = live.Rate(args.live_rate, args.live_visitors)
    client_id, secret = live_client
    live.serve_live(config, f"http://{_local(args.host)}:{args.port}", client_id=client_id,
                    client_secret=secret, seed=args.live_seed, rate=rate)  # fmt: skip
    return 0


def _run_worker(settings: Settings, log_level: str) -> int:
    """A scale-out worker: no port; until SIGTERM or Ctrl-C."""
    import asyncio
    import signal

    from journeyline import logs
    from journeyline.scale.worker import run_worker

    logs.configure(log_level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(settings, stop=stop)

    asyncio.run(main())
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from journeyline.engine.batch import ingest_lines
    from journeyline.engine.unit import Engine

    settings = _settings(args)
    store = open_store(settings.store_url)
    try:
        summary = ingest_lines(
            Engine.from_settings(store, settings, system_clock), _lines(args.file)
        )
    finally:
        store.close()
    reported = [(n, "refused", m) for n, m in summary.refused]
    reported += [(n, "rejected", m) for n, m in summary.rejected]
    for number, outcome, message in sorted(reported):
        print(f"line {number}: {outcome}: {message}", file=sys.stderr)
    _print(summary.counts())
    return 1 if summary.rejected else 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from journeyline.engine.replay import rebuild
    from journeyline.engine.unit import offer_policy_of

    settings = _settings(args)
    store = open_store(settings.store_url)
    try:
        applied = rebuild(
            store,
            system_clock,
            web_timeout_ms=settings.web_session_timeout_seconds * 1000,
            acw_grace_ms=settings.acw_grace_seconds * 1000,
            offer_policy=offer_policy_of(settings),
        )
        sessions = store.snapshot().session_count
    finally:
        store.close()
    _print({"sessions": sessions, "logEvents": applied})
    return 0


def cmd_migrate_store(args: argparse.Namespace) -> int:
    """Copy a whole store into a new, empty one, then check the copy (docs/deploy.md)."""
    from journeyline.engine.move import move_store
    from journeyline.store.base import shown

    settings = Settings.from_env(store_url=args.target)
    moved = move_store(args.source, args.target, settings, system_clock, batch=args.batch)
    _print({"from": shown(args.source), "to": shown(args.target), **moved.doc()})
    if moved.problems:
        print(f"journeyline: the copy does not check out: {'; '.join(moved.problems)}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _read_password() -> str:
    """The new password: stdin's first line when it is piped, else typed twice at a prompt."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise InvalidInput("the two passwords differ", field="password")
    return first


def cmd_users_create(args: argparse.Namespace) -> int:
    from journeyline.desktop.users import UserChange, check_password, hash_password, put_user

    change = UserChange.of(name=args.name, email=args.email, role=args.role)
    if not args.no_password:
        if change.email is None:
            raise InvalidInput("a user who signs in needs --email (or give --no-password)")
        password = _read_password()
        check_password(password)
        change = UserChange(change.name, change.email, change.role, password)
    hashed = None if change.password is None else hash_password(change.password)
    user_id = args.id or str(uuid.uuid4())
    store = open_store(_settings(args).store_url)
    try:
        with store.transaction():
            user = put_user(store, user_id, change, hashed, system_clock())
    finally:
        store.close()
    found = user.account
    _print({"userId": user_id} | ({"email": found.email, "role": found.role} if found else {}))
    return 0


def cmd_directory_import(args: argparse.Namespace) -> int:
    from journeyline.engine.batch import load_directory

    store = open_store(_settings(args).store_url)
    try:
        counts = load_directory(store, Path(args.file).read_bytes(), now_ms=system_clock())
    finally:
        store.close()
    _print(counts)
    return 0


def _local(host: str) -> str:
    """How this machine reaches a server bound to ``host`` (any address: the loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (we compare)


def cmd_demo(args: argparse.Namespace) -> int:
    from journeyline.api.auth import create_client
    from journeyline.demo.load import load_demo

    settings = _settings(args)
    store = open_store(settings.store_url)
    try:
        summary = load_demo(
            store,
            clock=system_clock,
            conversations=args.conversations,
            web_timeout_ms=settings.web_session_timeout_seconds * 1000,
            acw_grace_ms=settings.acw_grace_seconds * 1000,
            base_url=f"http://{_local(args.host)}:{args.port}",
        )
        client_id, secret = create_client(store, name="demo", role="admin", now_ms=system_clock())
        sign_in = demo_agent_sign_in(store, system_clock())
    finally:
        store.close()
    _print({**summary, "clientId": client_id, "clientSecret": secret})
    if not (args.serve or args.live):
        return 0
    print(f"journeyline: the agent desktop: http://{_local(args.host)}:{args.port}/desktop")
    if sign_in is not None:
        print(f"journeyline: {sign_in}")
    args.store = settings.store_url
    if not args.live:
        return cmd_serve(args)
    if args.live_seed is None:
        args.live_seed = secrets.randbelow(1_000_000)
    print(
        f"journeyline: living demo (--live-seed {args.live_seed}): about {args.live_rate:g}"
        f" new conversations and {args.live_visitors:g} shop visitors a minute, until Ctrl-C"
    )
    return cmd_serve(args, live_client=(client_id, secret))


def demo_agent_sign_in(store: Store, now_ms: int) -> str | None:
    """How a newcomer signs in to the desktop as a demo agent, printed by ``journeyline demo``
    when it serves: the demo's first agent gets an account (once), with a new random password
    each time (only its hash is kept, so it cannot be shown again)."""
    from journeyline.demo.day import AGENT_NAMES
    from journeyline.desktop.users import UserChange, hash_password, put_user

    name = AGENT_NAMES[0]
    email = "demo.agent@example.com"
    password = secrets.token_urlsafe(12)
    hashed = hash_password(password)
    with store.transaction():
        holder = store.account_by_email(email)
        named, _ = store.directory_list("user", page_number=1, page_size=1, name=name)
        user_id = holder.user_id if holder else named[0].id if named else str(uuid.uuid4())
        change = UserChange(name, email, "agent", password)
        put_user(store, user_id, change, hashed, now_ms)
    return f"sign in to the desktop as {email} with the password {password} (an agent)"


def cmd_deadletters_list(args: argparse.Namespace) -> int:
    from journeyline.api.flows import delivery_doc

    store = open_store(_settings(args).store_url)
    try:
        found, total = store.deadletters_page(
            page_number=args.page_number, page_size=args.page_size
        )
        entities = [delivery_doc(d, store.flow_get(d.flow_id)) for d in found]
    finally:
        store.close()
    _print({"entities": entities, "total": total})
    return 0


def cmd_deadletters_replay(args: argparse.Namespace) -> int:
    store = open_store(_settings(args).store_url)
    try:
        with store.transaction():
            replayed = store.outbox_replay(None if args.all else [args.id], system_clock())
    finally:
        store.close()
    if not args.all and not replayed:
        raise NotFound(f"no dead letter with id {args.id}")
    _print({"replayed": replayed})
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from journeyline.bench import run_bench

    return run_bench(args)


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than zero, not {text}")
    return value


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help=f"store URL (default: $JOURNEYLINE_STORE or {DEFAULT_STORE})",
    )


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="log level (default info: one line per request)",
    )
    parser.add_argument(
        "--role",
        dest="serve_role",
        choices=["all", "api", "worker"],
        default=None,
        help="all: one process (default, $JOURNEYLINE_ROLE); scale-out on a PostgreSQL store:"
        " api (validate, append to NATS JetStream, serve reads) or worker (apply partitions;"
        " no port)",
    )
    parser.add_argument(
        "--nats",
        default=None,
        help="NATS server of scale-out mode ($JOURNEYLINE_NATS, default nats://127.0.0.1:4222)",
    )
    parser.add_argument(
        "--nats-stream",
        default=None,
        help="JetStream stream name ($JOURNEYLINE_NATS_STREAM, default journeyline)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journeyline",
        description="An open, self-hostable customer-journey engine with a Genesys-shaped API.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP API server")
    _add_store(serve)
    _add_serve_options(serve)
    serve.set_defaults(run=cmd_serve)

    imp = commands.add_parser(
        "import", help="import conversation detail events from a JSON-lines file ('-': stdin)"
    )
    _add_store(imp)
    imp.add_argument("file", help="JSON lines: one {topicName, version, eventBody} per line")
    imp.set_defaults(run=cmd_import)

    demo = commands.add_parser(
        "demo", help="load a realistic contact-centre day and print an admin client"
    )
    _add_store(demo)
    demo.add_argument("--conversations", type=int, default=160, help="how many (default 160)")
    demo.add_argument("--serve", action="store_true", help="then run the server")
    demo.add_argument(
        "--live",
        action="store_true",
        help="then run the server with a living demo beside it: new calls, chats and shop"
        " visitors keep arriving through the API until Ctrl-C (implies --serve)",
    )
    demo.add_argument(
        "--live-rate",
        type=_positive,
        default=2.0,
        metavar="PER_MINUTE",
        help="new conversations a minute with --live (default 2: one every 20-40 s), besides"
        " the visitors who call",
    )
    demo.add_argument(
        "--live-visitors",
        type=_positive,
        default=2.0,
        metavar="PER_MINUTE",
        help="shop visitors a minute with --live (default 2); about 4 in 10 then call",
    )
    demo.add_argument(
        "--live-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the living demo, the same one gives the same demo (default: a new one"
        " each run, printed)",
    )
    _add_serve_options(demo)
    demo.set_defaults(run=cmd_demo)

    rebuild = commands.add_parser("rebuild", help="replay the event log into fresh projections")
    _add_store(rebuild)
    rebuild.set_defaults(run=cmd_rebuild)

    move = commands.add_parser(
        "migrate-store",
        help="copy a whole store into a new, empty one (e.g. SQLite to PostgreSQL), then check"
        " the copy",
        description="Copy every table of the store --from (the log, the effect log, the"
        " projections, the outbox, accounts, clients, definitions, the directory,"
        " deployments) into the store --to, which its migrations make and which must be empty"
        " (else exit 2). Ids and positions are kept. Then check: the row counts are equal and"
        " a rebuild of the projections from the copied log equals the copied projections"
        " (else exit 1). Stop the servers on --from first: the copy holds its write lock."
        " Prints the rows copied per table.",
    )
    move.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="the store to copy (refused, exit 2, when there is none there: it is not made)",
    )
    move.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="URL",
        help="the new store, e.g. postgresql://user@host/database (empty)",
    )
    move.add_argument(
        "--batch",
        type=lambda text: int(_positive(text)),
        default=5000,
        help="rows read and written at a time (default 5000)",
    )
    move.set_defaults(run=cmd_migrate_store)

    clients = commands.add_parser("clients", help="manage OAuth clients")
    client_commands = clients.add_subparsers(dest="clients_command", required=True)
    cli_clients.add_commands(client_commands, _add_store, _settings, _print)

    users = commands.add_parser("users", help="manage the people who sign in to the desktop")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    ucreate = user_commands.add_parser(
        "create",
        help="create a user who signs in to the desktop; prints the user's id",
        description="Create a user (or give an existing directory user an account) and print"
        " its id. The password is read from stdin when it is piped (its first line), else"
        " prompted for twice; it must be 12 to 1024 characters.",
    )
    _add_store(ucreate)
    ucreate.add_argument("--name", required=True, help="the name shown on cards")
    ucreate.add_argument("--email", default=None, help="the email the user signs in with")
    ucreate.add_argument(
        "--role",
        default=None,
        choices=["agent", "supervisor", "admin"],
        help="what the user may do on the desktop (default agent)",
    )
    ucreate.add_argument(
        "--no-password",
        action="store_true",
        help="no password: a directory entry (with --email, an account) that cannot sign in",
    )
    ucreate.add_argument(
        "--id", default=None, help="the user's id: an existing directory user's, or a new one"
    )
    ucreate.set_defaults(run=cmd_users_create)

    directory = commands.add_parser("directory", help="manage queues, agents and wrap-up codes")
    directory_commands = directory.add_subparsers(dest="directory_command", required=True)
    dimport = directory_commands.add_parser(
        "import", help='import {"queues": [...], "users": [...], "wrapupCodes": [...]}'
    )
    _add_store(dimport)
    dimport.add_argument("file", help="a JSON file of {id, name} entries")
    dimport.set_defaults(run=cmd_directory_import)

    deadletters = commands.add_parser(
        "deadletters", help="flow deliveries given up on (docs/flows.md)"
    )
    dead_commands = deadletters.add_subparsers(dest="deadletters_command", required=True)
    dlist = dead_commands.add_parser("list", help="print the dead letters, the last tried first")
    _add_store(dlist)
    dlist.add_argument("--page-size", type=int, default=25, help="how many (default 25)")
    dlist.add_argument("--page-number", type=int, default=1, help="which page (default 1)")
    dlist.set_defaults(run=cmd_deadletters_list)
    dreplay = dead_commands.add_parser(
        "replay",
        help="put dead letters back to pending, tries counted from zero; a running server"
        " sends them within seconds",
    )
    _add_store(dreplay)
    which = dreplay.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="the delivery's id (its webhook-id)")
    which.add_argument("--all", action="store_true", help="every dead letter")
    dreplay.set_defaults(run=cmd_deadletters_replay)

    bench = cli_bench.add_parser(commands)
    bench.set_defaults(run=cmd_bench)
    return parser


#: The cyclic garbage collector's thresholds for journeyline's processes (Python's default is
#: 700, 10, 10). The engine keeps recent conversations and visitors in memory — hundreds of
#: thousands of small records — and every unit of work allocates many more short-lived ones
#: (events, cards, effects); with the default, the collector keeps walking that whole heap.
#: Measured with the bench's engine lines on 2 vCPUs: web engine +15-35%, conversation engine
#: +5-25% (docs/benchmarks.md). Reference cycles are still collected, only less often.
GC_THRESHOLDS = (100_000, 50, 100)


def main(argv: Sequence[str] | None = None) -> int:
    gc.set_threshold(*GC_THRESHOLDS)
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (JourneylineError, msgspec.DecodeError) as exc:
        print(f"journeyline: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
