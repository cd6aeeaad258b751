"""Request plumbing every provider shares: auth compare, request validation, JSON answers.

Kept out of the core because it speaks HTTP to partners, and out of each provider folder because
the rules are the same everywhere: validate against the contract and name every offending field;
answer JSON as UTF-8 with Unicode kept; in `--strict` mode check our own answers too.
"""

from __future__ import annotations

import logging

from aiohttp import web

from sandbox.engine import Sandbox
from sandbox.errors import SandboxError, Unauthorized, ValidationFailed
from sandbox.idempotency import encode
from sandbox.keys import sandbox_for
from sandbox.scenarios import Scenario, UnknownScenario, combine
from sandbox.signing import equal
from sandbox.web.render import render

log = logging.getLogger("sandbox.providers")


def sandbox_of(request: web.Request) -> Sandbox:
    return sandbox_for(request)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_key(presented: str | None, expected: str | None, what: str = "API key") -> None:
    """Constant-time check of a presented credential; missing and wrong both answer 401."""
    if not presented:
        raise Unauthorized(f"missing {what}")
    if not expected or not equal(presented, expected):
        raise Unauthorized(f"invalid {what}")


def validate(sb: Sandbox, provider: str, name: str, body) -> None:
    """Check a request body against `contracts/<provider>/requests/<name>`; 400 naming every field."""
    issues = sb.contracts.errors(provider, "requests", name, body)
    if issues:
        fields = ", ".join(sorted({i.field for i in issues}))
        raise ValidationFailed(f"request does not match the contract: {fields}",
                               details=[i.as_dict() for i in issues])


def json_response(sb: Sandbox, provider: str, body, *, status: int = 200, contract: str | None = None,
                  raw: bytes | None = None, headers: dict | None = None) -> web.Response:
    """A JSON answer; with `--strict`, one that breaks its own response contract is a sandbox bug (500)."""
    if sb.settings.strict and contract is not None:
        issues = sb.contracts.errors(provider, "responses", contract, body)
        if issues:
            log.error("response violates %s/responses/%s: %s", provider, contract, issues)
            raise SandboxError(f"sandbox bug: response violates its contract {contract}", code="INTERNAL",
                               status=500, details=[i.as_dict() for i in issues])
    return web.Response(status=status, body=raw if raw is not None else encode(body),
                        content_type="application/json", charset="utf-8", headers=headers)


def render_page(request: web.Request, template: str, state: dict) -> web.Response:
    """A hosted page (`<provider>/<file>.html`) with its state embedded by the base layout."""
    return render(request, template, {"state": state})


def chosen_scenario(sb: Sandbox, provider: str, request: web.Request, field_value: str | None = None) -> Scenario | None:
    """The scenario chosen at creation: `X-Sandbox-Scenario`, plus a body field where the provider has one.

    Both given (a LIQX payout's `scenario` and a header) act as one combined scenario. An unknown
    name is a validation error naming where it came from.
    """
    chosen = []
    for source, name in (("/scenario", field_value), ("X-Sandbox-Scenario", request.headers.get("X-Sandbox-Scenario"))):
        if not name:
            continue
        try:
            chosen.append(sb.scenario(name, provider))
        except UnknownScenario as exc:
            raise ValidationFailed(f"unknown scenario {name!r}; known: {', '.join(sb.scenarios.names(provider))}",
                                   details=[{"field": source, "issue": "unknown scenario"}]) from exc
    return combine(chosen)
