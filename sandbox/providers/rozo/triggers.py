"""`sandbox trigger rozo payment`: a cross-chain payment and the status words of each outcome."""

from __future__ import annotations

from sandbox.triggers import Http, Trigger

STELLAR_RECEIVER = "GC56BXCNEWL6JSGKHD3RJ5HJRNKFEJQ53D3YY3SMD6XK7YPDI75BQ7FD"


def _payment(http: Http, sandbox: str, config: dict, ref: str) -> str:
    body = {"appId": config["app_id"], "orderId": ref, "type": "exactIn",
            "display": {"title": f"Order {ref}", "currency": "USD"},
            "source": {"chainId": 8453, "tokenSymbol": "USDC", "amount": "10.00"},
            "destination": {"chainId": 1500, "tokenSymbol": "USDC", "receiverAddress": STELLAR_RECEIVER}}
    return http("POST", f"{config['base_url']}/payments", body, {"X-API-Key": config["api_key"]}, create=True)["id"]


TRIGGERS = {
    "payment": Trigger("a USDC payment from Base to Stellar", _payment,
                       {"completed": ("payment_completed",), "bounced": ("payment_bounced",),
                        "expired": ("payment_expired",), "payin-completed": ("payment_payin_completed",)},
                       "completed"),
}
