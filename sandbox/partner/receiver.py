"""The built-in webhook receiver (SPEC §8): what a careful partner's endpoint does, durably.

It verifies the provider's signature with the configured secret, stores a receipt (raw body,
headers, signature validity, event id, intent id / external ref) and counts repeated deliveries
of one event id on that receipt. Told to fail (`PUT /_sandbox/receiver/{provider}`), it answers
the chosen status for its next N requests *without* storing a receipt, as a partner that
crashed before persisting would; that is how the provider's retries are rehearsed. An instructed
2xx with a delay is a slow but working endpoint: it waits, then stores the receipt as usual.

A receipt's `signature_valid` says whether any delivery of that event id verified: a retry that
arrives correctly signed after a badly signed first attempt authenticates the event.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from sandbox.bodies import json_response, parse_json, read_raw
from sandbox.clock import from_ms, iso, parse_iso, to_ms
from sandbox.delivery.faults import FaultRule, log_fault, take_receiver_rule
from sandbox.engine import Sandbox
from sandbox.errors import MalformedJson, NotFound, ValidationFailed
from sandbox.jsontext import loads
from sandbox.keys import sandbox_for
from sandbox.store import UnitOfWork
from sandbox.validation import parse_query, query_int, query_text

routes = web.RouteTableDef()


def _provider(sb: Sandbox, name: str):
    provider = sb.providers.get(name)
    if provider is None:
        raise NotFound(f"unknown provider {name!r}")
    return provider


def _scalar_facts(facts: dict) -> dict:
    """Ids read from an arbitrary body, kept only when they are plain values (a sender controls them)."""
    out = {}
    for key, value in facts.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            out[key] = None
        else:
            out[key] = str(value)[:256]
    return out


def _take_instruction(uow: UnitOfWork, provider: str, now_ms: int) -> FaultRule | None:
    """The next instructed answer (a `receiver_answer` fault rule), logged as an applied fault."""
    rule = take_receiver_rule(uow, provider)
    if rule is not None:
        log_fault(uow, rule, provider, None, "receiver", now_ms)
    return rule


def _store_receipt(uow: UnitOfWork, provider: str, facts: dict, headers: dict, body: str,
                   valid: bool | None, now_ms: int) -> dict:
    event_id = facts.get("event_id")
    if event_id is not None:
        again = uow.receipts.count_again(provider, event_id, valid, now_ms)
        if again is not None:
            return {"receipt_id": again[0], "duplicate": True, "count": again[1]}
    return {"receipt_id": uow.receipts.insert(provider, facts, headers, body, valid, now_ms), "duplicate": False,
            "count": 1}


@routes.post("/api/webhooks/{provider}")
async def receive(request: web.Request) -> web.Response:
    """Verify, store durably, count duplicates; or answer as instructed by the control API."""
    sb: Sandbox = sandbox_for(request)
    name = request.match_info["provider"]
    provider = _provider(sb, name)
    raw = await read_raw(request)
    instruction = await sb.store.commit(_take_instruction, name, sb.clock.now_ms())
    if instruction is not None:
        if instruction.params.delay_ms:
            await asyncio.sleep(instruction.params.delay_ms / 1000)  # a slow endpoint is real network time
        status = instruction.params.status or 500
        if not 200 <= status < 300:
            return web.json_response({"received": False, "instructed": True}, status=status)
    try:
        body = parse_json(raw)
    except MalformedJson as exc:
        return json_response({"received": False, "error": exc.message}, status=400)
    if not isinstance(body, dict):  # every provider's webhook is a JSON object
        return json_response({"received": False, "error": "body must be a JSON object"}, status=400)
    facts = _scalar_facts(provider.dialect.describe(body))
    secrets = await provider.receiver_secrets(sb, body)
    signed_now = sb.world.signing_now()  # the replay window is checked on the clock signatures carry
    results = [provider.dialect.verify(raw, request.headers, secret, signed_now) for secret in (secrets or [None])]
    valid = None if all(r is None for r in results) else any(r is True for r in results)
    headers = dict(request.headers)
    stored = await sb.store.commit(_store_receipt, name, facts, headers, raw.decode("utf-8"), valid,
                                   sb.clock.now_ms())
    return json_response({"received": True, "signature_valid": valid, **stored})


def _receipt(row: Any) -> dict:
    return {
        "receipt_id": row["seq"], "provider": row["provider"], "event_id": row["event_id"], "type": row["type"],
        "intent_id": row["intent_id"], "external_ref": row["external_ref"],
        "signature_valid": None if row["signature_valid"] is None else bool(row["signature_valid"]),
        "received_at": iso(from_ms(row["received_ms"])), "last_received_at": iso(from_ms(row["last_ms"])),
        "deliveries": row["count"], "duplicates": row["count"] - 1,
        "headers": loads(row["headers"]), "body": loads(row["body"]), "raw_body": row["body"],
    }


def read_receipts(uow: UnitOfWork, provider: str, filters: dict, limit: int) -> list[dict]:
    """Receipts of one provider matching every given filter, newest first, at most `limit`."""
    rows = uow.receipts.list(provider, filters.get("intent_id") or None, filters.get("external_ref") or None,
                             filters.get("type") or None, filters.get("since_ms"), limit)
    return [_receipt(row) for row in rows]


class ReceiptsQuery(BaseModel):
    """The receipts read's filters (exact matches), `since` (ISO 8601) and `limit` (1 to 100, default 20)."""

    intent_id: query_text() = None
    external_ref: query_text() = None
    type: query_text() = None
    since: query_text(64) = None
    limit: query_int(1, 100) = 20


@routes.get("/api/webhooks/{provider}/events")
async def events(request: web.Request) -> web.Response:
    """The bounded read: newest first, `limit` default 20, at most 100."""
    sb: Sandbox = sandbox_for(request)
    name = request.match_info["provider"]
    _provider(sb, name)
    query = parse_query(ReceiptsQuery, request.query)
    since_ms = None
    if query.since:
        try:
            since_ms = to_ms(parse_iso(query.since))
        except (ValueError, OverflowError) as exc:
            raise ValidationFailed("invalid query parameters",
                                   details=[{"field": "since", "issue": "must be an ISO 8601 timestamp"}]) from exc
    filters = {"intent_id": query.intent_id, "external_ref": query.external_ref, "type": query.type,
               "since_ms": since_ms}
    rows = await sb.store.read(read_receipts, name, filters, query.limit)
    return json_response({"data": rows, "limit": query.limit, "count": len(rows)})


async def set_behaviour(sb: Sandbox, provider: str, behaviour: dict) -> dict:
    """How the receiver answers its next `times` requests: `{"status", "times", "delay_ms"}`.

    Stored as a `receiver_answer` fault rule, so it is listed, logged and cleared like any other.
    """
    _provider(sb, provider)
    rule = await sb.fault_rules.instruct_receiver(sb.world, provider, behaviour.get("status", 500),
                                                  behaviour.get("times", 1), behaviour.get("delay_ms"))
    return {**behaviour, "rule_id": rule.id if rule else None}
