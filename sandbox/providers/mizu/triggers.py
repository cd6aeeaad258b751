"""`sandbox trigger mizu payment`: a payment link, one payment opened on it as the pay page does,
and the status words of each outcome."""

from __future__ import annotations

from sandbox.triggers import Http, Trigger


def _payment(http: Http, sandbox: str, config: dict, ref: str) -> str:
    link = http("POST", f"{config['base_url']}/payment-links",
                {"amount": "25.50", "currency": "USDC", "chain": "polygon", "title": f"Link {ref}"},
                {"Authorization": f"Bearer {config['api_key']}"}, create=True)
    payment = http("POST", f"{sandbox}/mizu/pay/{link['id']}/payments",
                   {"email": "payer@example.com", "clientReferenceId": ref})
    return str(payment["payment"]["id"])


TRIGGERS = {
    "payment": Trigger("a 25.50 USDC payment on Polygon through a payment link", _payment,
                       {"confirmed": ("CONFIRMED",), "timeout": ("TIMEOUT",), "paid": ("PAID",)}, "confirmed"),
}
