"""LIQX: KRW ↔ USDT payin / payout intents with an embeddable widget (SPEC §2)."""

from __future__ import annotations

from sandbox.providers.base import Credential, Operation, Provider, Where
from sandbox.providers.liqx import errors, models, pages, routes
from sandbox.providers.liqx.events import POLICY, LiqxDialect
from sandbox.providers.liqx.grading import GRADING


class Liqx(Provider):
    """LIQX as the sandbox impersonates it; its contract is this project's own."""

    name = "liqx"
    title = "LIQX"
    dialect = LiqxDialect()
    policy = POLICY
    credentials = (
        Credential("api_key", lambda ids: "liqx_sk_sandbox_" + ids.alnum(24)),
        Credential("webhook_secret", lambda ids: "whsec_" + ids.alnum(32)),
    )
    statuses = (*models.PAYIN_STATUSES, "RESERVED", "PROCESSING", "FAILED")
    graph = {**models.PAYIN_GRAPH, **models.PAYOUT_GRAPH}
    api_base = "/v1"
    routes = routes.routes
    pages = pages.routes
    openapi = {
        ("POST", "/v1/payin-intents"): Operation("payin-intent", "201", "intent"),
        ("POST", "/v1/payout-intents"): Operation("payout-intent", "201", "intent"),
        ("GET", "/v1/intents/{intent_id}"): Operation(None, "200", "intent"),
        ("GET", "/v1/intents"): Operation(None, "200", "intent-list"),
        ("POST", "/v1/intents/{intent_id}/widget-sessions"): Operation(None, "201", "widget-session"),
        # The widget's own calls, keyed by its session token.
        ("GET", "/widget/{token}"): Operation(None, "200", None, public=True),
        ("GET", "/widget/{token}/state"): Operation(None, "200", None, public=True),
        ("POST", "/widget/{token}/actions"): Operation(None, "200", None, public=True),
        ("POST", "/widget/{token}/events"): Operation("browser/widget-message", "202", None, public=True),
        ("GET", "/sdk/v1/liqx-widget.js"): Operation(None, "200", None, public=True),
    }
    openapi_tag = "LIQX (provisional contract)"
    auth_scheme = {"type": "http", "scheme": "bearer", "description": "liqx_sk_sandbox_…"}
    id_field = "intent_id"
    fire = staticmethod(models.run_job)
    force = staticmethod(models.force)
    error_body = staticmethod(errors.error_body)
    grading = GRADING

    def object_id(self, answer: dict) -> str | None:
        """A failed payout preflight (422) still made an intent: its id rides in the error."""
        return answer.get("intent_id") or (answer.get("error") or {}).get("intent_id")

    def seed(self, db, ctx) -> None:
        """The five mapped users, made once per world."""
        models.seed_users(db, ctx.ids)

    def describe_more(self, where: Where) -> dict:
        """The SDK script and the payout test inputs."""
        return {
            "sdk_url": f"{self.base_url(where)}/liqx/sdk/v1/liqx-widget.js",
            "payout_scenarios": list(models.PAYOUT_SCENARIOS),
            "mapped_users": list(models.MAPPED_USERS),
        }


PROVIDER = Liqx()
