"""ROZO in a grade (SPEC §15): a payment's two webhooks, payin then payout; every case applies.

ROZO signs `"{ms timestamp}.{raw body}"`, so the signature and timestamp cases all apply; a payment
emits `payment_payin_completed` and later `payment_payout_completed`, so they can race
(`out_of_order`). ROZO delivers at most once, but its own contract tells receivers to dedupe by
`event_id` because network retries still duplicate: `duplicate` applies.
"""

from __future__ import annotations

from sandbox.clock import iso
from sandbox.grading.sample import GradeProfile, SampleContext, SampleEvent
from sandbox.providers.rozo import chains
from sandbox.providers.rozo.events import webhook_body
from sandbox.providers.rozo.payments import new_payment


def sample(ctx: SampleContext) -> list[SampleEvent]:
    """A Base USDC → Stellar USDC order of 10.00, as its payin and then its payout complete."""
    request = {
        "appId": ctx.credentials.get("app_id", "merchant_sandbox"), "orderId": ctx.external_ref, "type": "exactIn",
        "display": {"title": "Grade order", "currency": "USD"},
        "source": {"chainId": "8453", "tokenSymbol": "USDC", "amount": "10.00"},
        "destination": {"chainId": "1500", "receiverAddress": chains.stellar_account(ctx.ids), "tokenSymbol": "USDC"},
    }
    payment = new_payment(ctx.ids, ctx.now, request, request["appId"], ctx.base_url, {})
    base = chains.resolve_chain("8453")
    source = dict(payment["source"], txHash=chains.tx_hash(ctx.ids, base), senderAddress=chains.account(ctx.ids, base),
                  amountReceived=payment["source"]["amount"], confirmedAt=iso(ctx.now))
    payin = dict(payment, status="payment_payin_completed", updatedAt=iso(ctx.now), source=source)
    destination = dict(payment["destination"], txHash=chains.tx_hash(ctx.ids, chains.resolve_chain("1500")),
                       confirmedAt=iso(ctx.now))
    payout = dict(payin, status="payment_payout_completed", destination=destination)
    events = []
    for kind, state in (("payment_payin_completed", payin), ("payment_payout_completed", payout)):
        event_id = ctx.ids.uuid()
        events.append(SampleEvent(event_id, kind, webhook_body(event_id, kind, state, ctx.now), payment["id"],
                                  ctx.external_ref))
    return events


GRADING = GradeProfile(sample=sample, signs_time=True)
