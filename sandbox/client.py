"""`SandboxClient`: a small blocking client of the control API (SPEC §9, §12, §13).

It is what the pytest plugin's `sandbox_world` fixture hands a test, and it works just as well
from a script: `SandboxClient("http://127.0.0.1:8080").create_world()`. Blocking on purpose, so
plain synchronous tests can use it; only the standard library (`urllib.request`, `json`), so a
partner's suite gains no dependency. Every call made through a `World` names its world with the
`X-Sandbox-World` header; a control API answer of 4xx/5xx raises `SandboxAPIError` carrying the
status and the body.

In an `async` test whose own aiohttp app must answer the sandbox's webhooks, call the waiting
method through `await asyncio.to_thread(world.wait_for_delivery, ...)` so that app's event loop
keeps running while the test waits.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, TypedDict

__all__ = ["Endpoint", "SandboxAPIError", "SandboxClient", "SandboxUnreachable", "World"]

DEFAULT_WORLD = "default"


class SandboxAPIError(Exception):
    """The control API answered 4xx/5xx; `status` and `body` (parsed JSON, else text) say why."""

    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        self.method, self.url, self.status, self.body = method, url, status, body
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            reason = f"{error.get('code')}: {error.get('message')}"
            if error.get("details"):
                reason += f" {error['details']}"
        else:
            reason = str(body)[:500]
        super().__init__(f"{method} {url} answered {status}: {reason}")

    @property
    def code(self) -> str | None:
        """The control API's error code (`WORLD_NOT_FOUND`, `VALIDATION_FAILED`, …), if any."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None


class SandboxUnreachable(ConnectionError):
    """No HTTP answer at all: the server is not running at that URL, or the connection broke."""


class Endpoint(TypedDict):
    """Where a provider's webhooks go in a world, and the secret they are signed with."""

    url: str
    secret: str | None


class SandboxClient:
    """The control API of one running sandbox at `base_url` (e.g. `http://127.0.0.1:8080`)."""

    def __init__(self, base_url: str, admin_token: str | None = None, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SandboxClient({self.base_url!r})"

    def request(self, method: str, path: str, body: Any = None, *, world: str | None = None,
                query: dict[str, Any] | None = None) -> Any:
        """One control API call (`path` below `/_sandbox`); returns the parsed JSON answer."""
        url = f"{self.base_url}/_sandbox{path}"
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if world is not None:
            req.add_header("X-Sandbox-World", world)
        if self.admin_token:
            req.add_header("Authorization", f"Bearer {self.admin_token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return _parse(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                raise SandboxAPIError(method, url, exc.code, _parse(exc.read())) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SandboxUnreachable(f"cannot reach the sandbox at {self.base_url}: {reason}") from exc

    def health(self) -> dict[str, Any]:
        """`GET /_sandbox/health`: `{"status": "ok", "version"}`; raises if the server is not there."""
        return self.request("GET", "/health")

    def world(self, world_id: str = DEFAULT_WORLD) -> World:
        """A handle on an existing world (no call is made); `default` is the server's own world."""
        return World(self, world_id)

    def create_world(self, **options: Any) -> World:
        """`POST /_sandbox/worlds` with `name`, `seed`, `clock`, `webhook_urls`, `ttl_s`, … (SPEC §12)."""
        created = self.request("POST", "/worlds", options)
        return World(self, created["id"], created)

    def worlds(self) -> list[dict[str, Any]]:
        """Every world on the server (`GET /_sandbox/worlds`)."""
        return _data(self.request("GET", "/worlds"))


class World:
    """One world of a sandbox server: its credentials, clock, faults, events and deliveries.

    `info` is what `POST /_sandbox/worlds` answered when this handle created the world (else
    empty); `credentials()` and `base_url()` always ask the server, so they stay true after a
    secret rotation or a reset.
    """

    def __init__(self, client: SandboxClient, world_id: str, info: dict[str, Any] | None = None) -> None:
        self.client = client
        self.id = world_id
        self.info: dict[str, Any] = info or {}

    def __repr__(self) -> str:
        return f"World({self.id!r} at {self.client.base_url})"

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        """A control API call in this world (sends `X-Sandbox-World`)."""
        return self.client.request(method, path, body, world=self.id, query=query)

    # --- configuration -------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The world's effective configuration (`GET /_sandbox/config`)."""
        return self.call("GET", "/config")

    def credentials(self, provider: str) -> dict[str, Any]:
        """The provider's entry of `/_sandbox/config`: `api_key` (etc.), `webhook_secret`, `base_url`."""
        providers = self.config()["providers"]
        if provider not in providers:
            raise KeyError(f"unknown provider {provider!r}; known: {', '.join(providers)}")
        return providers[provider]

    def base_url(self, provider: str) -> str:
        """Where the provider's API lives in the sandbox (`<sandbox URL>/<provider><its API base>`)."""
        return self.credentials(provider)["base_url"]

    def set_webhook_url(self, provider: str, url: str, secret: str | None = None) -> Endpoint:
        """Send the provider's webhooks to `url` (`PUT /_sandbox/endpoints/{provider}`)."""
        body = {"url": url} if secret is None else {"url": url, "secret": secret}
        answer = self.call("PUT", f"/endpoints/{provider}", body)
        return {"url": answer["url"], "secret": answer["secret"]}

    def reset(self, provider: str | None = None) -> dict[str, Any]:
        """Forget the world's data (`POST /_sandbox/reset`), for one provider or all."""
        return self.call("POST", "/reset", {} if provider is None else {"provider": provider})

    # --- time and faults -----------------------------------------------------------------------

    def clock(self) -> dict[str, Any]:
        """The world's clock: `{"now", "time_scale", …}`."""
        return self.call("GET", "/clock")

    def set_clock(self, now: str | None = None, time_scale: float | None = None) -> dict[str, Any]:
        """Pin the clock to `now` (ISO 8601) and/or set its scale (0 freezes it)."""
        body = {k: v for k, v in (("now", now), ("time_scale", time_scale)) if v is not None}
        return self.call("PUT", "/clock", body)

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the world's clock forward; timers, expiries and retries made due run at once."""
        return self.call("POST", "/clock/advance", {"seconds": seconds})

    def add_fault(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Add a fault rule (SPEC §6), e.g. `{"action": "duplicate", "provider": name, "times": 1}`."""
        return self.call("POST", "/faults", rule)

    def faults(self) -> list[dict[str, Any]]:
        """The world's fault rules."""
        return _data(self.call("GET", "/faults"))

    def clear_faults(self) -> dict[str, Any]:
        """Delete every fault rule of the world."""
        return self.call("DELETE", "/faults")

    # --- intents, events, deliveries -----------------------------------------------------------

    def transition(self, provider: str, intent_id: str, to: str) -> dict[str, Any]:
        """Force an intent to status `to` as the provider would; returns the provider's object."""
        return self.call("POST", f"/intents/{provider}/{intent_id}/transition", {"to": to})["object"]

    def timeline(self, provider: str, intent_id: str) -> dict[str, Any]:
        """An intent's timeline: `{"intent", "timeline", "deliveries"}`."""
        return self.call("GET", f"/intents/{provider}/{intent_id}/timeline")

    def intents(self, **filters: Any) -> list[dict[str, Any]]:
        """Intents, newest first (`provider`, `limit`)."""
        return _data(self.call("GET", "/intents", **filters))

    def events(self, **filters: Any) -> list[dict[str, Any]]:
        """Webhook events, newest first (`provider`, `intent_id`, `type`, `limit`)."""
        return _data(self.call("GET", "/events", **filters))

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        """Deliveries with their attempts, newest first (`provider`, `intent_id`, `event_id`, `status`, `limit`)."""
        return _data(self.call("GET", "/deliveries", **filters))

    def resend(self, event_id: str) -> dict[str, Any]:
        """Deliver an event once more (trigger `manual`)."""
        return self.call("POST", f"/events/{event_id}/resend")

    def wait_for_delivery(self, provider: str, *, intent_id: str | None = None, type: str | None = None,
                          timeout: float = 10.0, poll_interval: float = 0.05) -> dict[str, Any]:
        """The first delivery answered 2xx that matches (with its attempts); `TimeoutError` after `timeout`.

        `type` is the webhook event's type (e.g. `transaction.completed`). This waits in real time
        for the partner's endpoint to answer; it never moves the sandbox clock (use `advance`).
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self._first_delivered(provider, intent_id, type)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                wanted = ", ".join(f"{k}={v}" for k, v in (("intent_id", intent_id), ("type", type)) if v)
                seen = self.deliveries(provider=provider, intent_id=intent_id, limit=20)
                summary = [(d["event_id"], d["status"], [a["status"] or a["error"] for a in d["attempts"]])
                           for d in seen]
                raise TimeoutError(f"no {provider} delivery answered 2xx in {timeout:g} s in world {self.id}"
                                   f"{' (' + wanted + ')' if wanted else ''}; deliveries so far: {summary}")
            time.sleep(poll_interval)

    def _first_delivered(self, provider: str, intent_id: str | None, type_: str | None) -> dict[str, Any] | None:
        delivered = self.deliveries(provider=provider, intent_id=intent_id, status="delivered", limit=500)
        if type_ is not None:
            events = {e["id"] for e in self.events(provider=provider, intent_id=intent_id, type=type_, limit=500)}
            delivered = [d for d in delivered if d["event_id"] in events]
        answered = [d for d in delivered if any(200 <= (a["status"] or 0) < 300 for a in d["attempts"])]
        return answered[-1] if answered else None  # the list is newest first

    # --- lifetime ------------------------------------------------------------------------------

    def delete(self) -> None:
        """Delete the world and all of its data (`DELETE /_sandbox/worlds/{id}`)."""
        self.client.request("DELETE", f"/worlds/{self.id}")


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _data(answer: Any) -> list[dict[str, Any]]:
    return answer["data"] if isinstance(answer, dict) and "data" in answer else answer
