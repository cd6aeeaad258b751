"""The local demo proxy (SPEC §8): the partner's own server between its page and LIQX.

A partner never puts its LIQX API key in a browser. The simulator pages post the visible form to
this proxy, which calls the sandbox's LIQX API over real HTTP with the key held server-side,
exchanges a new intent for a widget session, and answers one envelope the page renders: the
request as sent (key redacted), every upstream call with its status, body and duration, the
intent, the session, and an error summary whenever something went wrong upstream.

Upstream failures — 4xx/5xx answers, injected `api_error` / `api_timeout` faults, refused
connections, timeouts (`partner_proxy_timeout_s`, default 10 s) — are data in that envelope, never
a crash of the proxy. The proxy's HTTP status says how the run went: 201 when LIQX accepted and a
widget session is open, the upstream status for an upstream HTTP error, 504 for an upstream
timeout and 502 when LIQX could not be reached or answered something that is not JSON.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from sandbox.bodies import read_json
from sandbox.clock import iso
from sandbox.engine import Sandbox
from sandbox.keys import SANDBOX

routes = web.RouteTableDef()
PROVIDER = "liqx"
REDACTED = "Bearer liqx_sk_… (held by the demo proxy, never sent to the browser)"
KEEP_TEXT = 8 * 1024


@dataclass
class ProxyState:
    """The proxy's HTTP client, opened and closed with the partner sub-app."""

    http: aiohttp.ClientSession | None = None


PROXY: web.AppKey[ProxyState] = web.AppKey("partner_proxy", ProxyState)


def upstream_base(sb: Sandbox) -> str:
    """Where this process's own LIQX API answers: the bound port on loopback (wildcards included)."""
    host = sb.settings.host
    if host in ("", "0.0.0.0", "::", "localhost"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{sb.settings.port}"


async def call_upstream(request: web.Request, method: str, path: str, body: dict | None = None,
                extra_headers: dict | None = None, *, auth: dict | None = None) -> dict:
    """One upstream call as a record: status, JSON body (or text), duration and any transport error.

    `auth` replaces the LIQX bearer key for calls to another provider's API (the other simulators).
    """
    sb: Sandbox = request.config_dict[SANDBOX]
    state = request.config_dict[PROXY]
    timeout_s = sb.settings.partner_proxy_timeout_s
    credentials = auth if auth is not None else {"Authorization": f"Bearer {sb.credentials[PROVIDER]['api_key']}"}
    headers = {**credentials, "Accept": "application/json", **(extra_headers or {})}
    who = "LIQX" if auth is None else path.split("/")[1].upper()
    record: dict = {"method": method, "path": path, "status": None, "duration_ms": None, "body": None,
                    "error": None}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        async with state.http.request(method, upstream_base(sb) + path, data=data, headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=timeout_s),
                                      allow_redirects=False) as response:
            raw = await response.read()
            record["status"] = response.status
            text = raw.decode("utf-8", errors="replace")
            try:
                record["body"] = json.loads(text) if text else None
            except ValueError:
                record["body"] = text[:KEEP_TEXT]
                record["error"] = {"kind": "invalid_response",
                                   "message": f"{who} answered HTTP {response.status} with a body that is not JSON"}
    except TimeoutError:
        record["error"] = {"kind": "timeout", "message": f"{who} did not answer within {timeout_s:g} s "
                                                         "(the demo proxy's upstream timeout)"}
    except aiohttp.ClientError as exc:
        record["error"] = {"kind": "connection", "message": f"could not reach {who}: {exc.__class__.__name__}: {exc}"}
    record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return record


def _failure(stage: str, call: dict) -> dict | None:
    """The error summary of a failed upstream call, or None when it succeeded."""
    if call["error"] is not None:
        return {"stage": stage, "kind": call["error"]["kind"], "status": call["status"],
                "message": call["error"]["message"], "code": None, "reason": None, "intent_id": None,
                "details": [], "request_id": None}
    if call["status"] is not None and 200 <= call["status"] < 300:
        return None
    body = call["body"] if isinstance(call["body"], dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return {"stage": stage, "kind": "http", "status": call["status"], "code": error.get("code"),
            "message": error.get("message") or f"LIQX answered HTTP {call['status']}",
            "reason": error.get("reason"), "intent_id": error.get("intent_id"),
            "details": error.get("details") or [], "request_id": body.get("request_id")}


def _http_status(error: dict | None) -> int:
    if error is None:
        return 201
    if error["kind"] == "timeout":
        return 504
    if error["kind"] in ("connection", "invalid_response"):
        return 502
    return error["status"] or 502


def _summary(kind: str, intent: dict | None, session: dict | None, error: dict | None) -> str:
    """One line a person reads first in the response summary."""
    noun = "PAYIN intent" if kind == "PAYIN" else "PAYOUT reservation"
    if error is None and intent and session:
        return (f"LIQX accepted the {noun} {intent['intent_id']} ({intent['status']}) and opened widget session "
                f"{session.get('session_id')}.")
    if error is None:
        return f"LIQX accepted the {noun}."
    where = {"create": f"creating the {noun}", "session": "opening the widget session",
             "lookup": "reading the intent back"}[error["stage"]]
    if error["kind"] == "http":
        text = f"Upstream error while {where}: HTTP {error['status']}"
        text += f" {error['code']}" if error.get("code") else ""
        text += f" — {error['message']}"
        if error.get("reason"):
            text += f" (reason {error['reason']})"
    else:
        text = f"Upstream error while {where}: {error['message']}"
    if intent is not None:
        text += f" Intent {intent['intent_id']} is {intent['status']}."
    elif error.get("intent_id"):
        text += f" (intent_id {error['intent_id']})"
    return text


async def _create(request: web.Request, kind: str) -> web.Response:
    sb: Sandbox = request.config_dict[SANDBOX]
    body, _ = await read_json(request)
    path = "/liqx/v1/payin-intents" if kind == "PAYIN" else "/liqx/v1/payout-intents"
    forwarded = {}
    scenario = request.headers.get("X-Sandbox-Scenario", "").strip()
    if scenario:
        forwarded["X-Sandbox-Scenario"] = scenario
    sent = {"method": "POST", "path": path,
            "headers": {"Authorization": REDACTED, "Content-Type": "application/json", **forwarded}, "body": body}
    calls: dict = {"create": await call_upstream(request, "POST", path, body, forwarded), "session": None, "lookup": None}
    intent = session = None
    error = _failure("create", calls["create"])
    if error is None and not (isinstance(calls["create"]["body"], dict) and calls["create"]["body"].get("intent_id")):
        error = {"stage": "create", "kind": "invalid_response", "status": calls["create"]["status"],
                 "message": "LIQX accepted the request but its answer carries no intent_id", "code": None,
                 "reason": None, "intent_id": None, "details": [], "request_id": None}
    if error is None:
        intent = calls["create"]["body"]
        calls["session"] = await call_upstream(request, "POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions", {})
        error = _failure("session", calls["session"])
        if error is None:
            session = calls["session"]["body"]
    elif error is not None and error.get("code") == "RESERVATION_PREFLIGHT_FAILED" and error.get("intent_id"):
        # A refused reservation still made a FAILED intent (and its webhook): read it back as evidence.
        # Other errors may name an intent too (a duplicate external_ref's), but not one of this run.
        calls["lookup"] = await call_upstream(request, "GET", f"/liqx/v1/intents/{error['intent_id']}")
        if _failure("lookup", calls["lookup"]) is None:
            intent = calls["lookup"]["body"]
    envelope = {
        "ok": error is None and session is not None,
        "phase": kind,
        "proxied_at": iso(sb.clock.now()),
        "upstream_base": "LIQX API of this sandbox (" + upstream_base(sb) + "/liqx/v1)",
        "timeout_s": sb.settings.partner_proxy_timeout_s,
        "request": sent,
        "upstream": calls,
        "intent_id": (intent or {}).get("intent_id"),
        "external_ref": (intent or {}).get("external_ref") or (body or {}).get("external_ref") or None,
        "intent": intent,
        "session": session,
        "error": error,
        "summary": _summary(kind, intent, session, error),
    }
    return _answer(envelope, _http_status(error))


def _answer(value: dict, status: int) -> web.Response:
    return web.json_response(value, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False),
                             headers={"Cache-Control": "no-store"})


@routes.post("/api/liqx/payin-intents")
async def payin(request: web.Request) -> web.Response:
    """Create a PAYIN intent and its widget session through LIQX."""
    return await _create(request, "PAYIN")


@routes.post("/api/liqx/payout-intents")
async def payout(request: web.Request) -> web.Response:
    """Create a PAYOUT reservation and its widget session through LIQX."""
    return await _create(request, "PAYOUT")


@routes.get("/api/liqx/intents/{intent_id}")
async def read_intent(request: web.Request) -> web.Response:
    """Read an intent back through LIQX (the page's local evidence after widget events)."""
    intent_id = request.match_info["intent_id"]
    call = await call_upstream(request, "GET", f"/liqx/v1/intents/{intent_id}")
    error = _failure("lookup", call)
    intent = call["body"] if error is None else None
    return _answer({"ok": error is None, "intent_id": intent_id, "upstream": {"lookup": call}, "intent": intent,
                    "error": error}, 200 if error is None else _http_status(error))


async def client_lifetime(app: web.Application):
    """Open the proxy's HTTP client with the app and close it after."""
    state = app[PROXY]
    state.http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    try:
        yield
    finally:
        await state.http.close()
