"""Rehearsal commands that talk to a running sandbox's control API (`sandbox faults …`, `events`,
`clock`, `worlds`, `trigger`). Each takes `--world` (or `$SANDBOX_WORLD`) to act in one world.

Plain `urllib` on purpose: a command line tool needs no event loop, and the control API is JSON
over HTTP, so these commands are also a readable example of scripting a rehearsal. Each prints a
table for people, or with `--json` the control API's answer as it came.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from sandbox.tables import pairs, table

DEFAULT_URL = "http://127.0.0.1:8080"
WEBHOOK_ACTIONS = ["drop", "delay", "duplicate", "reorder", "bad_signature", "stale_timestamp", "missing_signature",
                   "unknown_fields", "tampered_body", "api_error", "api_timeout"]


def add_connection_args(parser: argparse.ArgumentParser, world_help: str | None = None) -> None:
    """`--url`, `--admin-token`, `--world` and `--json`, which every command talking to a server takes
    (`world_help` words `--world` for a command that gives it more meaning than the header)."""
    parser.add_argument("--url", default=os.environ.get("SANDBOX_URL", DEFAULT_URL),
                        help="the running sandbox (default $SANDBOX_URL or %(default)s)")
    parser.add_argument("--admin-token", default=os.environ.get("SANDBOX_ADMIN_TOKEN"),
                        help="the control API's token, needed when the sandbox is bound beyond loopback "
                             "(default $SANDBOX_ADMIN_TOKEN)")
    parser.add_argument("--world", default=os.environ.get("SANDBOX_WORLD"),
                        help=world_help or "the world to act in (X-Sandbox-World; default $SANDBOX_WORLD, "
                                           "else the default world)")
    parser.add_argument("--json", action="store_true", help="print the control API's JSON instead of a table")


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


def _faults_parser(sub) -> None:
    faults = sub.add_parser("faults", help="fault rules of a running sandbox: add, list, clear, log")
    fsub = faults.add_subparsers(dest="faults_command", required=True, metavar="COMMAND")
    add = fsub.add_parser("add", help="add a fault rule", description="Add a fault rule; see docs/control-api.md.")
    add.add_argument("action", choices=WEBHOOK_ACTIONS, help="what the rule does: %(choices)s")
    add.add_argument("--provider", help="only this provider's webhooks or API calls (default: every provider)")
    add.add_argument("--event-type", help="only webhooks of this event type, e.g. transaction.completed")
    add.add_argument("--intent-id", help="only webhooks or calls about this intent")
    add.add_argument("--external-ref", help="only webhooks about the intent with this external reference")
    add.add_argument("--method", help="API faults: only calls with this HTTP method")
    add.add_argument("--path", help="API faults: only calls to this path, e.g. /liqx/v1/payin-intents")
    add.add_argument("--delay-ms", type=int, help="delay and api_timeout: how long (real ms for API calls)")
    add.add_argument("--copies", type=int, help="duplicate: how many extra copies (default 1)")
    add.add_argument("--spacing-ms", type=int, help="duplicate: sandbox ms between copies (default 0)")
    add.add_argument("--status", type=int, help="api_error: the HTTP status to answer (default 500)")
    add.add_argument("--times", type=int, help="how many deliveries or calls it applies to; 0: until cleared (default 1)")
    add.add_argument("--attempt", type=int, help="webhook faults: only the Nth attempt of a delivery")
    listing = fsub.add_parser("list", help="list the fault rules")
    clear = fsub.add_parser("clear", help="delete one rule, or all of them")
    clear.add_argument("rule_id", nargs="?", help="the rule to delete (default: every rule)")
    log = fsub.add_parser("log", help="the faults applied so far, newest first")
    for parser in (add, listing, clear, log):
        add_connection_args(parser)


def _events_parser(sub) -> None:
    events = sub.add_parser("events", help="webhook events of a running sandbox: list, resend")
    esub = events.add_subparsers(dest="events_command", required=True, metavar="COMMAND")
    resend = esub.add_parser("resend", help="deliver an event once more (trigger manual)")
    resend.add_argument("event_id", help="the event, e.g. evt_…")
    elist = esub.add_parser("list", help="emitted events, newest first")
    elist.add_argument("--provider", help="only this provider's events")
    elist.add_argument("--intent-id", help="only the events of this intent")
    elist.add_argument("--type", help="only events of this type")
    for parser in (resend, elist):
        add_connection_args(parser)


def _clock_parser(sub) -> None:
    clock = sub.add_parser("clock", help="the sandbox clock of a running sandbox: show, advance, set")
    csub = clock.add_subparsers(dest="clock_command", required=True, metavar="COMMAND")
    advance = csub.add_parser("advance", help="move sandbox time forward (due timers and retries run)")
    advance.add_argument("seconds", type=float, help="how many sandbox seconds")
    show = csub.add_parser("show", help="print now and the time scale")
    setter = csub.add_parser("set", help="pin the clock and/or set its scale")
    setter.add_argument("--now", help="the sandbox time, ISO 8601 (e.g. 2026-11-22T09:00:00Z)")
    setter.add_argument("--time-scale", type=float, help="sandbox seconds per real second (0 freezes)")
    for parser in (advance, show, setter):
        add_connection_args(parser)


def _worlds_parser(sub) -> None:
    worlds = sub.add_parser("worlds", help="worlds (isolated tenants) of a running sandbox: create, list, delete")
    wsub = worlds.add_subparsers(dest="worlds_command", required=True, metavar="COMMAND")
    create = wsub.add_parser("create", help="create a world; prints its id and credentials")
    create.add_argument("--name", help="a label for people (default none)")
    create.add_argument("--seed", type=int, help="seed of its fake data (default random)")
    create.add_argument("--ttl-s", type=float, help="delete it this many real seconds after creation")
    create.add_argument("--now", help="start its clock here (ISO 8601; default the real time)")
    create.add_argument("--time-scale", type=float, help="its clock's sandbox seconds per real second (0 freezes)")
    create.add_argument("--signature-clock", choices=["wall", "sandbox"],
                        help="clock of its webhook signature timestamps (default wall)")
    listing = wsub.add_parser("list", help="every world, the default world first")
    drop = wsub.add_parser("delete", help="delete a world and everything it holds")
    drop.add_argument("world_id", help="the world, wld_…")
    for parser in (create, listing, drop):
        add_connection_args(parser)


def build(sub) -> None:
    """Add the `faults`, `events`, `clock` and `worlds` command groups."""
    _faults_parser(sub)
    _events_parser(sub)
    _clock_parser(sub)
    _worlds_parser(sub)


def _rule(args: argparse.Namespace) -> dict:
    match = {k: getattr(args, k) for k in ("event_type", "intent_id", "external_ref", "method", "path")
             if getattr(args, k) is not None}
    params = {k: getattr(args, k) for k in ("delay_ms", "copies", "spacing_ms", "status") if getattr(args, k) is not None}
    rule = {"action": args.action, "match": match, "params": params}
    for key in ("provider", "times", "attempt"):
        if getattr(args, key) is not None:
            rule[key] = getattr(args, key)
    return rule


RULE_COLUMNS = [("id", lambda r: r.get("id")), ("provider", lambda r: r.get("provider") or "any"),
                ("action", lambda r: r.get("action")), ("match", lambda r: r.get("match")),
                ("params", lambda r: r.get("params")),
                ("left", lambda r: r.get("remaining", r.get("times")) if r.get("times") else "until cleared"),
                ("attempt", lambda r: r.get("attempt")), ("source", lambda r: r.get("source"))]


def _human(args: argparse.Namespace, body: dict) -> str:
    """The answer of a successful call, as a person reads it."""
    if args.command == "faults":
        if args.faults_command == "list":
            return table(body["data"], RULE_COLUMNS, empty="no fault rules")
        if args.faults_command == "add":
            return table([body], RULE_COLUMNS)
        if args.faults_command == "log":
            return table(body["data"], [("seq", lambda r: r.get("seq")), ("rule", lambda r: r.get("rule_id")),
                                        ("provider", lambda r: r.get("provider")), ("action", lambda r: r.get("action")),
                                        ("on", lambda r: r.get("target")), ("intent", lambda r: r.get("intent_id")),
                                        ("event", lambda r: r.get("event_id"))], empty="no faults applied")
        return f"deleted {body.get('deleted')}"
    if args.command == "events":
        if args.events_command == "resend":
            return f"queued delivery {body['delivery_id']} of {body['event_id']} (trigger manual)"
        return table(body["data"], [("id", lambda r: r["id"]), ("provider", lambda r: r["provider"]),
                                    ("type", lambda r: r["type"]), ("intent", lambda r: r.get("intent_id"))],
                     empty="no events")
    if args.command == "worlds":
        if args.worlds_command == "delete":
            return f"deleted {body.get('deleted')}"
        worlds = body["data"] if args.worlds_command == "list" else [body]
        return table(worlds, [("id", lambda r: r["id"]), ("name", lambda r: r.get("name")),
                              ("seed", lambda r: r.get("seed")), ("now", lambda r: r["clock"]["now"]),
                              ("scale", lambda r: r["clock"]["time_scale"]), ("expires", lambda r: r.get("expires_at"))])
    return pairs(body)


def _error(body: dict) -> str:
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    details = "; ".join(f"{d.get('field')}: {d.get('issue')}" for d in error.get("details") or [])
    return (error.get("message") or json.dumps(body)) + (f" ({details})" if details else "")


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed rehearsal command; exit 0 on 2xx, 1 otherwise (the error on stderr)."""
    try:
        status, body = _dispatch(args)
    except (urllib.error.URLError, OSError) as exc:
        print(f"sandbox: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    if status >= 300:  # a script gets the error body on stdout, a person one line on stderr
        if args.json:
            print(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            print(f"sandbox: {status} {_error(body)}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False, indent=2) if args.json else _human(args, body))
    return 0


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
        query = urllib.parse.urlencode({k: v for k, v in (("provider", args.provider), ("intent_id", args.intent_id),
                                                          ("type", args.type)) if v})
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


def trigger(args: argparse.Namespace) -> int:
    """`sandbox trigger`: list the flows, or create and drive one object and print what happened."""
    from sandbox import triggers

    catalogue = triggers.catalogue()
    if args.list or not args.provider:
        rows = [{"provider": p, "flow": f, "outcomes": list(t.outcomes), "default": t.default, "what": t.description}
                for p, flows in catalogue.items() for f, t in flows.items()]
        print(json.dumps(rows, indent=2) if args.json else table(rows, [
            ("provider", lambda r: r["provider"]), ("flow", lambda r: r["flow"]), ("outcomes", lambda r: r["outcomes"]),
            ("default", lambda r: r["default"]), ("creates", lambda r: r["what"])]))
        return 0 if args.list else 2
    flows = catalogue.get(args.provider)
    if flows is None:
        print(f"sandbox: unknown provider {args.provider!r}; known: {', '.join(catalogue)}", file=sys.stderr)
        return 2
    flow = args.flow or next(iter(flows))
    if flow not in flows:
        print(f"sandbox: {args.provider} has no flow {flow!r}; known: {', '.join(flows)}", file=sys.stderr)
        return 2
    if args.outcome is not None and args.outcome not in flows[flow].outcomes:
        print(f"sandbox: {args.provider} {flow} has no outcome {args.outcome!r}; "
              f"known: {', '.join(flows[flow].outcomes)}", file=sys.stderr)
        return 2
    try:
        result = triggers.run(args.url, args.provider, flow, args.outcome,
                              triggers.Http(args.admin_token, args.scenario, args.world))
    except triggers.TriggerFailed as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"sandbox: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"{result['provider']} {result['flow']} {result['id']} -> {result['outcome']}")
    print(table(result["events"], [("event", lambda r: r["event_id"]), ("type", lambda r: r["type"]),
                                   ("delivery", lambda r: r["delivery"])], empty="no webhook events"))
    return 0
