"""`sandbox trigger PROVIDER FLOW --outcome OUTCOME`: drive a fresh intent to an outcome, like
`stripe trigger`.

It creates the object through the provider's own API with the server's default credentials (read
from `GET /_sandbox/config`; with `--world`, that world's), drives it with `POST /_sandbox/intents/{provider}/{id}/transition`
in the provider's own status words, and reports the webhook events that produced. What to create
and which words make an outcome is each provider's business: every provider folder has a
`triggers.py` with `TRIGGERS = {flow: Trigger}`; this module only runs them.
"""

from __future__ import annotations

import importlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field


class TriggerFailed(RuntimeError):
    """A call answered something other than 2xx; the message quotes it."""


@dataclass
class Http:
    """The few HTTP calls a trigger makes, with the scenario header on creates."""

    admin_token: str | None = None
    scenario: str | None = None
    world: str | None = None
    calls: list[str] = field(default_factory=list)

    def __call__(self, method: str, url: str, body: dict | None = None, headers: dict | None = None,
                 *, create: bool = False) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if create and self.scenario:
            request.add_header("X-Sandbox-Scenario", self.scenario)
        if "/_sandbox/" in url:  # control calls name the world; provider calls belong to it by their keys
            if self.admin_token:
                request.add_header("Authorization", f"Bearer {self.admin_token}")
            if self.world:
                request.add_header("X-Sandbox-World", self.world)
        self.calls.append(f"{method} {url}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise TriggerFailed(f"{method} {url} answered {exc.code}: {exc.read().decode('utf-8', 'replace')}") from exc


@dataclass(frozen=True)
class Trigger:
    """One flow of one provider: how to create its object, and the status words of each outcome.

    `create(http, sandbox_url, config, ref)` returns the id the control API knows the object by;
    `config` is the provider's entry of `/_sandbox/config`, `ref` a fresh unique reference.
    `outcomes` maps an outcome name to the `to` words posted one after the other.
    """

    description: str
    create: Callable[[Http, str, dict, str], str]
    outcomes: dict[str, tuple[str, ...]]
    default: str


def catalogue() -> dict[str, dict[str, Trigger]]:
    """Every registered provider's flows, from its `triggers.py`."""
    from sandbox.providers import PROVIDERS

    return {p.name: importlib.import_module(f"sandbox.providers.{p.name}.triggers").TRIGGERS for p in PROVIDERS}


def run(url: str, provider: str, flow: str, outcome: str | None, http: Http, wait_s: float = 5.0) -> dict:
    """Create, drive, and collect the events of the object; raises `TriggerFailed` on a refusal."""
    trigger = catalogue()[provider][flow]
    outcome = outcome or trigger.default
    base = url.rstrip("/")
    config = http("GET", f"{base}/_sandbox/config")["providers"][provider]
    ref = f"trigger-{time.time_ns()}"
    object_id = trigger.create(http, base, config, ref)
    final = None
    for word in trigger.outcomes[outcome]:
        final = http("POST", f"{base}/_sandbox/intents/{provider}/{object_id}/transition", {"to": word})["object"]
    events = _events(http, base, provider, object_id, wait_s)
    return {"provider": provider, "flow": flow, "outcome": outcome, "id": object_id, "object": final,
            "events": events}


def _events(http: Http, base: str, provider: str, object_id: str, wait_s: float) -> list[dict]:
    """The object's events, oldest first, each with its delivery status (briefly waiting for a verdict)."""
    deadline = time.monotonic() + wait_s
    while True:
        events = http("GET", f"{base}/_sandbox/events?provider={provider}&intent_id={object_id}")["data"]
        deliveries = http("GET", f"{base}/_sandbox/deliveries?provider={provider}&intent_id={object_id}")["data"]
        by_event: dict[str, list[str]] = {}
        for delivery in deliveries:
            by_event.setdefault(delivery["event_id"], []).append(delivery["status"])
        rows = [{"event_id": e["id"], "type": e["type"], "delivery": ",".join(by_event.get(e["id"], [])) or None}
                for e in reversed(events)]
        settled = all(r["delivery"] and "pending" not in r["delivery"] and "in_flight" not in r["delivery"]
                      for r in rows)
        if settled or time.monotonic() >= deadline:
            return rows
        time.sleep(0.1)  # real time: the server delivers on its own clock; bounded by wait_s
