"""`sandbox trigger liqx payin|payout`: what to create and which status words make each outcome."""

from __future__ import annotations

from sandbox.triggers import Http, Trigger


def _auth(config: dict) -> dict:
    return {"Authorization": f"Bearer {config['api_key']}"}


def _payin(http: Http, sandbox: str, config: dict, ref: str) -> str:
    body = {"external_ref": ref, "external_user_id": "partner-user-001", "depositor_name": "Hong Gildong",
            "amount_krw": "10000", "amount_usdt": "7.25"}
    return http("POST", f"{config['base_url']}/payin-intents", body, _auth(config), create=True)["intent_id"]


def _payout(http: Http, sandbox: str, config: dict, ref: str) -> str:
    body = {"external_ref": ref, "external_user_id": "partner-user-001", "legal_name": "Hong Gildong",
            "amount_krw": "10000", "amount_usdt": "7.25"}
    return http("POST", f"{config['base_url']}/payout-intents", body, _auth(config), create=True)["intent_id"]


TRIGGERS = {
    "payin": Trigger("a KRW deposit intent (PAYIN)", _payin,
                     {"completed": ("COMPLETED",), "rejected": ("REJECTED",), "expired": ("EXPIRED",),
                      "pending": ("PENDING",)}, "completed"),
    "payout": Trigger("a USDT payout intent (PAYOUT) for a mapped user", _payout,
                      {"completed": ("PROCESSING", "COMPLETED"), "failed": ("FAILED",), "expired": ("EXPIRED",),
                       "processing": ("PROCESSING",)}, "completed"),
}
