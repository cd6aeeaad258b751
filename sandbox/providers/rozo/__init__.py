"""ROZO: cross-chain stablecoin payment intents, faithful to ROZO's published OpenAPI v2.0.0 (SPEC §3).

The Payment API lives under `/rozo/functions/v1/payment-api`, the hosted pay page under
`/rozo/pay/{paymentId}`. Webhooks are ROZO's two events, signed `X-Rozo-Signature: sha256=…` over
`"{ms timestamp}.{raw body}"`, delivered at most once to the payment's own `webhookUrl` (signed
with its `webhookSecret`) or else to the app's endpoint.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.clock import from_ms
from sandbox.errors import SandboxError
from sandbox.ids import Ids
from sandbox.jobs import Job
from sandbox.providers.base import Credential, Provider, Where
from sandbox.providers.rozo import chains, errors, models, pages, routes
from sandbox.providers.rozo.events import POLICY, RozoDialect
from sandbox.providers.rozo.grading import GRADING

DEFAULT_APP_ID = "merchant_sandbox"
WALLET_APP_ID = "wallet_sandbox"


class Rozo(Provider):
    """ROZO as its published OpenAPI describes it: `X-API-Key` bound to an app, at-most-once webhooks."""

    name = "rozo"
    title = "ROZO"
    page_brand = "ROZO Pay"
    dialect = RozoDialect()
    policy = POLICY
    #: Two keys bound to two apps (tenancy is testable), a 64-hex app webhook secret, pooled deposit addresses.
    credentials = (
        Credential("api_key", lambda ids: "rz_test_" + ids.alnum(32)),
        Credential("app_id", lambda ids: DEFAULT_APP_ID),
        Credential("wallet_api_key", lambda ids: "rz_test_" + ids.alnum(32), setting=False),
        Credential("wallet_app_id", lambda ids: WALLET_APP_ID, setting=False),
        Credential("webhook_secret", lambda ids: ids.hex(64)),
        Credential("stellar_deposit_address", chains.stellar_account, setting=False),
        Credential("solana_deposit_address", lambda ids: chains.account(ids, chains.CHAINS["900"]), setting=False),
    )
    statuses = models.STATUSES
    graph = models.GRAPH
    api_base = routes.API
    routes = routes.routes
    pages = pages.routes
    ctx_type = models.Ctx
    fire = staticmethod(models.run_job)
    force = staticmethod(models.force)
    error_body = staticmethod(errors.error_body)
    grading = GRADING

    def authenticate(self, request: web.Request) -> None:
        """An `X-API-Key` is optional but, when sent, must be a known one (`400 invalid_api_key`)."""
        routes.key_app(request)

    def render_error(self, error: SandboxError, request_id: str) -> web.Response:
        """ROZO answers an unusable key with `400 invalid_api_key`, not 401; other errors keep their status."""
        answer = super().render_error(error, request_id)
        if error.code == "UNAUTHORIZED":
            answer.set_status(400)
        return answer

    def middlewares(self) -> list:
        """ROZO's SDK calls the API from partners' browser pages: CORS on every API answer."""
        return [routes.cors_middleware]

    def ctx_fields(self, where: Where) -> dict:
        """The pooled deposit addresses of the memo chains."""
        return {"pools": {"stellar": self.credential(where, "stellar_deposit_address"),
                          "solana": self.credential(where, "solana_deposit_address")}}

    def world_credentials(self, ids: Ids) -> dict[str, str]:
        """A world's own apps: the same shape, appIds of its own (keeping the merchant/wallet prefixes that need a key)."""
        suffix = ids.alnum(12)
        return {**self.default_credentials(ids), "app_id": f"merchant_{suffix}", "wallet_app_id": f"wallet_{suffix}"}

    async def run_job(self, where: Where, job: Job) -> None:
        """Fire a timer at its due time, so a clock jump of an hour still spaces the follow-up steps correctly."""
        ctx = self.ctx(where)
        ctx.now = min(ctx.now, from_ms(job.due_ms))
        await self.commit(where, self.fire, ctx, job.intent_id, job.kind, job.payload)

    async def receiver_secrets(self, where: Where, body: dict) -> list[str]:
        """The payment's own webhookSecret (looked up by `data.id`) and the app's secret(s)."""
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        secrets = []
        if isinstance(data.get("id"), str):
            row = await self.find(where, data["id"])
            if row is not None and row.data.get("webhookSecret"):
                secrets.append(row.data["webhookSecret"])
        return secrets + await super().receiver_secrets(where, body)

    def describe_more(self, where: Where) -> dict:
        """The SDK's base, both keys and their apps, the pay page and the delivery semantics."""
        base_url = self.base_url(where)
        keys = [{"api_key": self.credential(where, key), "app_id": self.credential(where, app)}
                for key, app in (("api_key", "app_id"), ("wallet_api_key", "wallet_app_id"))]
        return {
            "sdk_base_url": f"{base_url}/rozo/functions/v1",
            "api_keys": keys,
            "key_required_prefixes": list(routes.MERCHANT_PREFIXES),
            "pay_page": f"{base_url}/rozo/pay/{{paymentId}}",
            "settlement_delay_s": self.ctx(where).settlement_delay_s,
            "delivery": "at most once (no retries)" if self.effective_policy(where).at_most_once else "with retries",
        }


PROVIDER = Rozo()
