"""LIQX: KRW ↔ USDT payin / payout intents with an embeddable widget (SPEC §2)."""

from __future__ import annotations

from sandbox.ids import Ids
from sandbox.providers.base import Provider
from sandbox.providers.liqx import models
from sandbox.providers.liqx.errors import render_error
from sandbox.providers.liqx.events import POLICY, LiqxDialect
from sandbox.providers.liqx.grading import GRADING
from sandbox.providers.liqx.routes import ctx_of, make_app


def default_credentials(ids: Ids) -> dict[str, str]:
    return {"api_key": "liqx_sk_sandbox_" + ids.alnum(24), "webhook_secret": "whsec_" + ids.alnum(32)}


async def run_job(sb, job) -> None:
    await sb.store.commit(models.run_job, ctx_of(sb), job.intent_id, job.kind, job.payload)


async def transition(sb, intent_id: str, to: str) -> dict:
    return await sb.store.commit(models.force, ctx_of(sb), intent_id, to)


async def on_start(sb) -> None:
    await sb.store.commit(models.seed_users, sb.ids)


def describe(sb) -> dict:
    url, secrets = sb.endpoint("liqx")
    return {
        "base_url": f"{sb.base_url}/liqx/v1",
        "api_key": sb.credentials["liqx"]["api_key"],
        "webhook_url": url,
        "webhook_secret": secrets[0] if secrets else None,
        "sdk_url": f"{sb.base_url}/liqx/sdk/v1/liqx-widget.js",
        "payout_scenarios": list(models.PAYOUT_SCENARIOS),
        "mapped_users": list(models.MAPPED_USERS),
    }


PROVIDER = Provider(
    name="liqx",
    title="LIQX",
    make_app=make_app,
    dialect=LiqxDialect(),
    policy=POLICY,
    default_credentials=default_credentials,
    render_error=render_error,
    run_job=run_job,
    transition=transition,
    statuses=(*models.PAYIN_STATUSES, "RESERVED", "PROCESSING", "FAILED"),
    describe=describe,
    on_start=on_start,
    grading=GRADING,
)
