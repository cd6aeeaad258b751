"""The command line: `sandbox serve`, `sandbox contracts …`, `sandbox trigger …`, `sandbox grade …`
(`sandbox.grading.cli`) and the rehearsal commands that talk to a running server (`faults`,
`events`, `clock`, `worlds`, in `sandbox.remote`).

Commands that print data print a table for people and, with `--json`, the control API's JSON for
scripts. A configuration mistake is one line on stderr and exit 2 (`sandbox.preflight`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

from aiohttp import web

from sandbox import remote
from sandbox.grading import cli as grading_cli
from sandbox.runtime import loop_factory, settle_heap
from sandbox.settings import ConfigError, load_settings
from sandbox.store import SchemaMismatch, is_postgres, masked


def _env_flag(name: str) -> bool | None:
    value = os.environ.get(name, "")
    return True if value.lower() in ("1", "true", "yes", "on") else None


def _serve_parser(sub) -> None:
    serve = sub.add_parser(
        "serve", help="run the sandbox server",
        description="Run the sandbox. Precedence: flags > SANDBOX_* environment > --config file > defaults.")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1; beyond loopback the control API "
                                      "needs the admin token)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080; 0 picks a free port)")
    serve.add_argument("--db", help="SQLite database file, created if missing (default ./.sandbox/sandbox.db), or "
                                    "postgresql://user:password@host:port/dbname for replicas sharing one database")
    serve.add_argument("--seed", type=int, help="seed for ids and fake data, so runs repeat (default random)")
    serve.add_argument("--time-scale", dest="time_scale", type=float,
                       help="sandbox seconds per real second (default 1; 60: a minute per second; 0: frozen)")
    serve.add_argument("--admin-token", dest="admin_token",
                       help="bearer token of the control API (generated when bound beyond loopback)")
    serve.add_argument("--signature-clock", dest="signature_clock", choices=["wall", "sandbox"],
                       help="clock of webhook signature timestamps (default wall; sandbox for pinned traces)")
    serve.add_argument("--public-url", dest="public_url",
                       help="URL browsers use to reach this server, in widget and page links "
                            "(default http://HOST:PORT)")
    serve.add_argument("--config", help="a sandbox.toml file (default $SANDBOX_CONFIG)")
    serve.add_argument("--strict", action="store_true", default=None,
                       help="also validate the sandbox's own responses against their contracts")
    serve.add_argument("--delivery-process", dest="delivery_process", action="store_true", default=None,
                       help="make webhook attempts in a second process (SQLite only): deliveries keep their "
                            "times while the API is busy")
    serve.add_argument("--log-format", dest="log_format", choices=("text", "json"),
                       default=os.environ.get("SANDBOX_LOG_FORMAT") or "text",
                       help="request and webhook-attempt lines on stderr: text, or one JSON object per line "
                            "(default $SANDBOX_LOG_FORMAT or text)")
    serve.add_argument("--quiet", action="store_true", default=_env_flag("SANDBOX_QUIET"),
                       help="no request or webhook-attempt lines (the start banner still prints)")


def _contracts_parser(sub) -> None:
    contracts = sub.add_parser("contracts", help="list the JSON Schema contracts or validate a file against one")
    csub = contracts.add_subparsers(dest="contracts_command", required=True, metavar="COMMAND")
    validate = csub.add_parser(
        "validate", help="validate a JSON file against a contract (exit 0 valid, 1 not)",
        description="Validate a JSON file: `sandbox contracts validate liqx/requests/payin-intent FILE` "
                    "(the name `contracts list` prints), or `sandbox contracts validate PROVIDER KIND NAME FILE`.")
    validate.add_argument("target", nargs="+", metavar="CONTRACT FILE",
                          help="the contract (PROVIDER/KIND/NAME, or PROVIDER KIND NAME) and then the JSON file")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    listing = csub.add_parser("list", help="list the contracts")
    listing.add_argument("--provider", help="only this provider's contracts")
    listing.add_argument("--json", action="store_true", help="print JSON: [{provider, kind, name}]")


def _trigger_parser(sub) -> None:
    trigger = sub.add_parser(
        "trigger", help="create an intent on a running sandbox and drive it to an outcome",
        description="Create an object through the provider's API with the server's default credentials, "
                    "drive it to an outcome, and print its id and the webhook events that followed. "
                    "`sandbox trigger --list` shows every provider's flows and outcomes.")
    trigger.add_argument("provider", nargs="?", help="the provider (see --list)")
    trigger.add_argument("flow", nargs="?", help="what to create, e.g. payin (see --list)")
    trigger.add_argument("--outcome", help="where to drive it (default: the flow's success outcome)")
    trigger.add_argument("--scenario", help="a scenario for the new object (X-Sandbox-Scenario), e.g. webhook-duplicate")
    trigger.add_argument("--list", action="store_true", help="list the providers, flows and outcomes")
    remote.add_connection_args(trigger)


def build_parser() -> argparse.ArgumentParser:
    from sandbox import __version__

    parser = argparse.ArgumentParser(prog="sandbox", description="Credential-free payment provider sandbox")
    parser.add_argument("--version", action="version", version=f"liqx-sandbox {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_parser(sub)
    _contracts_parser(sub)
    _trigger_parser(sub)
    remote.build(sub)
    grading_cli.build(sub)
    return parser


def banner(sb, settings) -> str:
    """What `serve` prints once at start: where everything is and which keys to use."""
    from sandbox.control.routes import effective_config

    config = effective_config(sb)
    lines = [f"liqx-sandbox {config['version']} listening on {sb.base_url}  (db {masked(settings.db)}, "
             f"seed {settings.seed if settings.seed is not None else 'random'}, time scale {sb.clock.time_scale:g})"]
    for name, described in config["providers"].items():
        lines.append(f"  {sb.providers[name].title}:")
        for key, value in described.items():
            if isinstance(value, str):
                lines.append(f"    {key:<16} {value}")
    lines.append(f"  Partner CRM simulator: {config['partner']['payin']}  {config['partner']['payout']}")
    lines.append(f"  Inspector:             {config['inspector']}")
    if not settings.loopback_only:
        lines.append(f"  Admin token:           {settings.admin_token}")
    return "\n".join(lines)


class StartError(Exception):
    """The server cannot start for a reason the user can fix; the message names it.

    `code` is the exit status: 2 for a setting that cannot work, 1 for an address in use.
    """

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


async def serve(settings) -> None:
    """Bind first (so the real port is known), start, print the banner, stop gracefully on a signal."""
    import secrets

    from sandbox.app import create_app
    from sandbox.keys import SANDBOX
    from sandbox.logs import REQUESTS, RequestLog
    from sandbox.web.fastpath import ApiSite

    if not settings.loopback_only and not settings.admin_token:
        settings.admin_token = secrets.token_urlsafe(24)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise StartError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", 1) from exc
    settings.port = sock.getsockname()[1]
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log_class=RequestLog, access_log=REQUESTS)
    try:
        await runner.setup()
    except BaseException as exc:  # the app could not start: free the port
        sock.close()
        if is_postgres(settings.db) and type(exc).__module__.startswith("psycopg"):
            raise StartError(f"--db {masked(settings.db)}: cannot be used as the database "
                             f"({str(exc).strip().splitlines()[-1] if str(exc).strip() else exc!r})") from exc
        if isinstance(exc, (sqlite3.Error, OSError)) and _about_database(exc, settings.db):
            raise StartError(f"--db {settings.db}: cannot be used as the database ({exc})") from exc
        raise  # anything else at start is a bug (or SchemaMismatch, reported by run_serve)
    site = ApiSite(runner, sock, access_log=RequestLog(REQUESTS, ""))
    await site.start()
    settle_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the banner: a signal right after it stops cleanly
        loop.add_signal_handler(sig, stop.set)
    print(banner(app[SANDBOX], settings), flush=True)
    await stop.wait()
    print("stopping: finishing in-flight webhook attempts (at most 5 s)", flush=True)
    await runner.cleanup()


def _about_database(exc: BaseException, db: str) -> bool:
    """Whether a start error came from opening the database (SQLite's, or the OS's on its path)."""
    if isinstance(exc, sqlite3.Error):
        return True
    target = Path(db).expanduser().resolve()
    named = getattr(exc, "filename", None)
    return named is not None and Path(named).resolve() in (target, *target.parents)


def run_serve(args: argparse.Namespace) -> int:
    """Load and check the configuration, then serve until a signal; exit 2 on a configuration error."""
    from sandbox import logs

    flags = {k: getattr(args, k) for k in ("host", "port", "db", "seed", "time_scale", "admin_token",
                                            "public_url", "strict", "signature_clock", "delivery_process")}
    try:
        settings = load_settings(flags, config_file=args.config)
    except ConfigError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    if args.log_format not in ("text", "json"):  # a default from SANDBOX_LOG_FORMAT, which argparse does not check
        print(f"sandbox: SANDBOX_LOG_FORMAT={args.log_format}: must be text or json", file=sys.stderr)
        return 2
    logs.configure(args.log_format, bool(args.quiet))
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve(settings))
    except KeyboardInterrupt:  # interrupted while still starting, before the handlers were installed
        return 130
    except StartError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return exc.code
    except SchemaMismatch as exc:  # a database of another version: refused, never migrated silently
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return run_serve(args)
    if args.command == "contracts":
        from sandbox import contract_cli
        return contract_cli.run(args)
    if args.command == "trigger":
        return remote.trigger(args)
    if args.command == "grade":
        return grading_cli.run(args)
    return remote.run(args)
