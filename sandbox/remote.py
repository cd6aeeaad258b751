"""Rehearsal commands that talk to a running sandbox's control API (`sandbox faults …`, `events`, `clock`,
`worlds`). Each takes `--world` (or `$SANDBOX_WORLD`) to act in one world (SPEC §12).

Plain `urllib` on purpose: a command line tool needs no event loop, and the control API is JSON
over HTTP, so these commands are also a readable example of scripting a rehearsal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8080"


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=os.environ.get("SANDBOX_URL", DEFAULT_URL),
                        help="the running sandbox (default $SANDBOX_URL or %(default)s)")
    parser.add_argument("--admin-token", default=os.environ.get("SANDBOX_ADMIN_TOKEN"),
                        help="needed when the sandbox is bound beyond loopback")
    parser.add_argument("--world", default=os.environ.get("SANDBOX_WORLD"),
                        help="the world to act in (X-Sandbox-World; default $SANDBOX_WORLD, else the default world)")


def call(args: argparse.Namespace, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """One control API call; returns (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(args.url.rstrip("/") + "/_sandbox" + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if args.admin_token:
        request.add_header("Authorization", f"Bearer {args.admin_token}")
    if getattr(args, "world", None):
        request.add_header("X-Sandbox-World", args.world)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def build(sub) -> None:
    """Add the `faults`, `events` and `clock` command groups."""
    faults = sub.add_parser("faults", help="fault rules on a running sandbox (SPEC §6)")
    fsub = faults.add_subparsers(dest="faults_command", required=True)
    add = fsub.add_parser("add", help="add a fault rule")
    add.add_argument("action", choices=["drop", "delay", "duplicate", "reorder", "bad_signature", "stale_timestamp",
                                        "missing_signature", "unknown_fields", "tampered_body", "api_error",
                                        "api_timeout"])
    add.add_argument("--provider")
    for name in ("event-type", "intent-id", "external-ref", "method", "path"):
        add.add_argument(f"--{name}")
    for name in ("delay-ms", "copies", "spacing-ms", "status", "times", "attempt"):
        add.add_argument(f"--{name}", type=int)
    fsub.add_parser("list", help="list the fault rules")
    clear = fsub.add_parser("clear", help="delete one rule, or all of them")
    clear.add_argument("rule_id", nargs="?")
    fsub.add_parser("log", help="faults applied so far")
    events = sub.add_parser("events", help="webhook events on a running sandbox")
    esub = events.add_subparsers(dest="events_command", required=True)
    resend = esub.add_parser("resend", help="deliver an event once more (trigger manual)")
    resend.add_argument("event_id")
    elist = esub.add_parser("list", help="emitted events")
    elist.add_argument("--provider")
    elist.add_argument("--intent-id")
    clock = sub.add_parser("clock", help="the sandbox clock of a running sandbox")
    csub = clock.add_subparsers(dest="clock_command", required=True)
    advance = csub.add_parser("advance", help="move sandbox time forward")
    advance.add_argument("seconds", type=float)
    csub.add_parser("show", help="print now and the time scale")
    setter = csub.add_parser("set", help="pin the clock and/or set its scale (0 freezes)")
    setter.add_argument("--now")
    setter.add_argument("--time-scale", type=float)
    worlds = sub.add_parser("worlds", help="worlds (isolated tenants) of a running sandbox (SPEC §12)")
    wsub = worlds.add_subparsers(dest="worlds_command", required=True)
    create = wsub.add_parser("create", help="create a world; prints its id and credentials")
    create.add_argument("--name")
    create.add_argument("--seed", type=int)
    create.add_argument("--ttl-s", type=float, help="delete it this many real seconds after creation")
    create.add_argument("--now", help="start its clock here (ISO 8601)")
    create.add_argument("--time-scale", type=float)
    create.add_argument("--signature-clock", choices=["wall", "sandbox"])
    wsub.add_parser("list", help="every world, the default world first")
    drop = wsub.add_parser("delete", help="delete a world and everything it holds")
    drop.add_argument("world_id")
    for parser in (add, fsub.choices["list"], clear, fsub.choices["log"], resend, elist, advance,
                   csub.choices["show"], setter, create, wsub.choices["list"], drop):
        add_connection_args(parser)


def _rule(args: argparse.Namespace) -> dict:
    match = {k: getattr(args, k) for k in ("event_type", "intent_id", "external_ref", "method", "path")
             if getattr(args, k) is not None}
    params = {k: getattr(args, k) for k in ("delay_ms", "copies", "spacing_ms", "status") if getattr(args, k) is not None}
    rule = {"action": args.action, "match": match, "params": params}
    for key in ("provider", "times", "attempt"):
        if getattr(args, key) is not None:
            rule[key] = getattr(args, key)
    return rule


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed rehearsal command; prints the JSON answer, exit 0 on 2xx."""
    try:
        status, body = _dispatch(args)
    except (urllib.error.URLError, OSError) as exc:
        print(f"sandbox: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0 if status < 300 else 1


def _dispatch(args: argparse.Namespace) -> tuple[int, dict]:
    if args.command == "faults":
        if args.faults_command == "add":
            return call(args, "POST", "/faults", _rule(args))
        if args.faults_command == "list":
            return call(args, "GET", "/faults")
        if args.faults_command == "log":
            return call(args, "GET", "/faults/log")
        return call(args, "DELETE", f"/faults/{args.rule_id}" if args.rule_id else "/faults")
    if args.command == "events":
        if args.events_command == "resend":
            return call(args, "POST", f"/events/{args.event_id}/resend")
        query = "&".join(f"{k}={v}" for k, v in (("provider", args.provider), ("intent_id", args.intent_id)) if v)
        return call(args, "GET", f"/events?{query}")
    if args.command == "worlds":
        return _worlds(args)
    if args.clock_command == "advance":
        return call(args, "POST", "/clock/advance", {"seconds": args.seconds})
    if args.clock_command == "show":
        return call(args, "GET", "/clock")
    body = {k: v for k, v in (("now", args.now), ("time_scale", args.time_scale)) if v is not None}
    return call(args, "PUT", "/clock", body)


def _worlds(args: argparse.Namespace) -> tuple[int, dict]:
    if args.worlds_command == "list":
        return call(args, "GET", "/worlds")
    if args.worlds_command == "delete":
        return call(args, "DELETE", f"/worlds/{args.world_id}")
    body = {k: v for k, v in (("name", args.name), ("seed", args.seed), ("ttl_s", args.ttl_s),
                              ("signature_clock", args.signature_clock)) if v is not None}
    clock = {k: v for k, v in (("now", args.now), ("time_scale", args.time_scale)) if v is not None}
    if clock:
        body["clock"] = clock
    return call(args, "POST", "/worlds", body)
