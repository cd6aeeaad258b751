"""The command line: `sandbox serve`, `sandbox contracts validate`, and helpers for a running server."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import socket
import sys

from aiohttp import web

from sandbox import remote
from sandbox.grading import cli as grading_cli
from sandbox.settings import ConfigError, load_settings
from sandbox.store import SchemaMismatch


def _serve_parser(sub) -> None:
    serve = sub.add_parser("serve", help="run the sandbox server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--db")
    serve.add_argument("--seed", type=int)
    serve.add_argument("--time-scale", dest="time_scale", type=float)
    serve.add_argument("--admin-token", dest="admin_token")
    serve.add_argument("--signature-clock", dest="signature_clock", choices=["wall", "sandbox"],
                       help="clock of webhook signature timestamps (default wall; sandbox for pinned traces)")
    serve.add_argument("--public-url", dest="public_url")
    serve.add_argument("--config", help="a sandbox.toml file")
    serve.add_argument("--strict", action="store_true", default=None, help="validate responses at run time")


def _contracts_parser(sub) -> None:
    contracts = sub.add_parser("contracts", help="work with the JSON Schema contracts")
    csub = contracts.add_subparsers(dest="contracts_command", required=True)
    validate = csub.add_parser("validate", help="validate a JSON file against a contract")
    for name in ("provider", "kind", "name", "file"):
        validate.add_argument(name)
    csub.add_parser("list", help="list the contracts")


def build_parser() -> argparse.ArgumentParser:
    from sandbox import __version__

    parser = argparse.ArgumentParser(prog="sandbox", description="Credential-free payment provider sandbox")
    parser.add_argument("--version", action="version", version=f"liqx-sandbox {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    _contracts_parser(sub)
    remote.build(sub)
    grading_cli.build(sub)
    return parser


def banner(sb, settings) -> str:
    """What `serve` prints once at start: where everything is and which keys to use."""
    from sandbox.control.routes import effective_config

    config = effective_config(sb)
    lines = [f"liqx-sandbox {config['version']} listening on {sb.base_url}  (db {settings.db}, "
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


class ListenError(OSError):
    """The address cannot be bound (in use, not local, not permitted); other start errors are not this."""


async def serve(settings) -> None:
    """Bind first (so the real port is known), start, print the banner, stop gracefully on a signal."""
    import secrets

    from sandbox.app import create_app
    from sandbox.keys import SANDBOX

    if not settings.loopback_only and not settings.admin_token:
        settings.admin_token = secrets.token_urlsafe(24)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from exc
    settings.port = sock.getsockname()[1]
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    try:
        await runner.setup()
    except BaseException:  # the app could not start (e.g. a database of another version): free the port
        sock.close()
        raise
    site = web.SockSite(runner, sock)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the banner: a signal right after it stops cleanly
        loop.add_signal_handler(sig, stop.set)
    print(banner(app[SANDBOX], settings), flush=True)
    await stop.wait()
    print("stopping: finishing in-flight webhook attempts (at most 5 s)", flush=True)
    await runner.cleanup()


def validate_file(provider: str, kind: str, name: str, path: str) -> int:
    from sandbox.contracts import Contracts, UnknownContract

    contracts = Contracts()
    try:
        with open(path, encoding="utf-8") as handle:
            instance = json.load(handle)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 1
    try:
        issues = contracts.errors(provider, kind, name, instance)
    except UnknownContract:
        print(f"no contract {provider}/{kind}/{name}", file=sys.stderr)
        return 1
    for issue in issues:
        print(f"{issue.field}: {issue.issue}")
    if not issues:
        print(f"{path}: valid against {provider}/{kind}/{name}")
    return 1 if issues else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        flags = {k: getattr(args, k) for k in ("host", "port", "db", "seed", "time_scale", "admin_token",
                                                "public_url", "strict", "signature_clock")}
        try:
            settings = load_settings(flags, config_file=args.config)
        except ConfigError as exc:
            print(f"sandbox: {exc}", file=sys.stderr)
            return 2
        try:
            asyncio.run(serve(settings))
        except KeyboardInterrupt:  # interrupted while still starting, before the handlers were installed
            return 130
        except (ListenError, SchemaMismatch) as exc:
            print(f"sandbox: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "contracts":
        if args.contracts_command == "list":
            from sandbox.contracts import Contracts
            for provider, kind, name in Contracts().names():
                print(f"{provider}/{kind}/{name}")
            return 0
        return validate_file(args.provider, args.kind, args.name, args.file)
    if args.command == "grade":
        return grading_cli.run(args)
    return remote.run(args)
