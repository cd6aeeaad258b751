"""ROZO: cross-chain stablecoin payment intents, faithful to ROZO's published OpenAPI v2.0.0 (SPEC §3).

The Payment API lives under `/rozo/functions/v1/payment-api`, the hosted pay page under
`/rozo/pay/{paymentId}`. Webhooks are ROZO's two events, signed `X-Rozo-Signature: sha256=…` over
`"{ms timestamp}.{raw body}"`, delivered at most once to the payment's own `webhookUrl` (signed
with its `webhookSecret`) or else to the app's endpoint.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.clock import from_ms
from sandbox.ids import Ids
from sandbox.providers.base import Provider
from sandbox.providers.rozo import chains, models, pages
from sandbox.providers.rozo import routes as api
from sandbox.providers.rozo.errors import render_error
from sandbox.providers.rozo.events import POLICY, RozoDialect
from sandbox.providers.rozo.grading import GRADING

DEFAULT_APP_ID = "merchant_sandbox"
WALLET_APP_ID = "wallet_sandbox"


def default_credentials(ids: Ids) -> dict[str, str]:
    """Two keys bound to two apps (tenancy is testable), a 64-hex app webhook secret, pooled deposit addresses."""
    return {
        "api_key": "rz_test_" + ids.alnum(32),
        "app_id": DEFAULT_APP_ID,
        "wallet_api_key": "rz_test_" + ids.alnum(32),
        "wallet_app_id": WALLET_APP_ID,
        "webhook_secret": ids.hex(64),
        "stellar_deposit_address": chains.stellar_account(ids),
        "solana_deposit_address": chains.account(ids, chains.CHAINS["900"]),
    }


def world_credentials(ids: Ids) -> dict[str, str]:
    """A world's own apps: the same shape, appIds of its own (keeping the merchant/wallet prefixes that need a key)."""
    suffix = ids.alnum(12)
    return {**default_credentials(ids), "app_id": f"merchant_{suffix}", "wallet_app_id": f"wallet_{suffix}"}


async def run_job(sb, job) -> None:
    """Fire a timer at its due time, so a clock jump of an hour still spaces the follow-up steps correctly."""
    ctx = api.ctx_of(sb)
    ctx.now = min(ctx.now, from_ms(job.due_ms))
    await sb.store.commit(models.run_job, ctx, job.intent_id, job.kind, job.payload)


async def transition(sb, payment_id: str, to: str) -> dict:
    """The control API's transition (see models.force)."""
    return await sb.store.commit(models.force, api.ctx_of(sb), payment_id, to)


async def receiver_secrets(sb, body: dict) -> list[str]:
    """The payment's own webhookSecret (looked up by `data.id`) and the app's secret(s)."""
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    secrets = []
    if isinstance(data.get("id"), str):
        row = await sb.store.read(lambda db: db.intents.get(models.NAME, data["id"]))
        if row is not None and row.data.get("webhookSecret"):
            secrets.append(row.data["webhookSecret"])
    return secrets + sb.endpoint(models.NAME)[1]


def describe(sb) -> dict:
    """ROZO's part of `GET /_sandbox/config` and of the start banner."""
    url, secrets = sb.endpoint(models.NAME)
    c = sb.credentials[models.NAME]
    settings = sb.settings.provider(models.NAME)
    return {
        "base_url": f"{sb.base_url}/rozo{api.API}",
        "sdk_base_url": f"{sb.base_url}/rozo/functions/v1",
        "api_key": c["api_key"],
        "app_id": c["app_id"],
        "api_keys": [{"api_key": c["api_key"], "app_id": c["app_id"]},
                     {"api_key": c["wallet_api_key"], "app_id": c["wallet_app_id"]}],
        "key_required_prefixes": list(api.MERCHANT_PREFIXES),
        "webhook_url": url,
        "webhook_secret": secrets[0] if secrets else None,
        "pay_page": f"{sb.base_url}/rozo/pay/{{paymentId}}",
        "settlement_delay_s": 5.0 if settings.settlement_delay_s is None else settings.settlement_delay_s,
        "delivery": "at most once (no retries)" if sb.dispatcher.targets[models.NAME].policy().at_most_once
        else "with retries",
    }


def make_app() -> web.Application:
    """The `/rozo` sub-app: the Payment API and the hosted pay page."""
    app = web.Application(middlewares=[api.cors_middleware])
    app.add_routes(api.routes)
    app.add_routes(pages.routes)
    app.router.add_static("/static", pages.STATIC, append_version=False)
    return app


PROVIDER = Provider(
    name="rozo",
    title="ROZO",
    make_app=make_app,
    dialect=RozoDialect(),
    policy=POLICY,
    default_credentials=default_credentials,
    render_error=render_error,
    run_job=run_job,
    transition=transition,
    statuses=models.STATUSES,
    describe=describe,
    receiver_secrets=receiver_secrets,
    grading=GRADING,
    world_credentials=world_credentials,
)
