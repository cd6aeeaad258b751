"""Mizu Financial: crypto payment links, a hosted pay page and the `payment_intent.successed` webhook (SPEC §4).

Only the webhook is public (Mizu's "Payment Acquirement → Webhook" page); the payment-link API is
this sandbox's provisional stand-in, marked so in its contracts and in docs/mizu.md.
"""

from __future__ import annotations

from sandbox.ids import Ids
from sandbox.providers.base import Provider
from sandbox.providers.mizu import models
from sandbox.providers.mizu.errors import render_error
from sandbox.providers.mizu.events import POLICY, MizuDialect
from sandbox.providers.mizu.grading import GRADING
from sandbox.providers.mizu.routes import ctx_of, make_app


def default_credentials(ids: Ids) -> dict[str, str]:
    """Only an API key: Mizu's webhooks are unsigned, so there is no webhook secret to make."""
    return {"api_key": "mizu_sk_sandbox_" + ids.alnum(24)}


async def run_job(sb, job) -> None:
    """A due timer (pay window, confirmation, scenario outcome) as one transaction."""
    await sb.store.commit(models.run_job, ctx_of(sb), job.intent_id, job.kind, job.payload)


async def transition(sb, intent_id: str, to: str) -> dict:
    """The control API's force-transition of a payment."""
    return await sb.store.commit(models.force, ctx_of(sb), intent_id, to)


def describe(sb) -> dict:
    """Mizu's part of `GET /_sandbox/config` and the start banner."""
    url, _ = sb.endpoint(models.NAME)
    delay = sb.settings.provider(models.NAME).settlement_delay_s
    return {
        "base_url": f"{sb.base_url}/mizu/api/v1",
        "api_key": sb.credentials[models.NAME]["api_key"],
        "webhook_url": url,
        "webhook_secret": None,
        "webhook_signed": False,
        "webhook_retries": 0,
        "pay_url": f"{sb.base_url}/mizu/pay/{{paymentLinkId}}?email=&clientReferenceId=",
        "settlement_delay_s": models.SETTLEMENT_DELAY_S if delay is None else delay,
        "pay_window_s": models.PAY_WINDOW_S,
        "chains": list(models.CHAINS),
        "currencies": list(models.CURRENCIES),
        "api_status": "provisional",
    }


PROVIDER = Provider(
    name="mizu",
    title="Mizu Financial",
    make_app=make_app,
    dialect=MizuDialect(),
    policy=POLICY,
    default_credentials=default_credentials,
    render_error=render_error,
    run_job=run_job,
    transition=transition,
    statuses=tuple(str(s) for s in models.STATUS_NAMES),
    describe=describe,
    grading=GRADING,
)
