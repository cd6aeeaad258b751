"""The Partner CRM simulator's wording and form defaults, taken from the partner demo (seeds 000/001).

Kept as data so the page template and its script stay the same for PAYIN and PAYOUT, and so the
seed text can be compared line by line with what the pages show. Lines the seeds do not show
(what a step says once it has moved on) follow the seeds' tone.
"""

from __future__ import annotations

#: The page's state machine, in order (SPEC §8).
STATES = ("idle", "creating", "created_or_terminal", "polling_webhook", "webhook_observed", "error")

#: Webhook rehearsals the proxy may send as `X-Sandbox-Scenario` (SPEC §6); "" is the default path.
WEBHOOK_SCENARIOS = (
    ("", "Default: webhooks on time"),
    ("webhook-missed", "webhook-missed: every webhook dropped"),
    ("webhook-duplicate", "webhook-duplicate: each webhook delivered 3 times"),
    ("webhook-delayed", "webhook-delayed: first attempt held 30 s"),
    ("webhook-bad-signature", "webhook-bad-signature: signed with a wrong secret"),
)

#: PAYOUT scenarios (SPEC §2): label, badge, expected webhook, description.
PAYOUT_SCENARIOS = (
    ("VERIFIED", "Claim-ready reservation", "CLAIM READY", "transaction.completed",
     "Uses the seeded mapped user with KYC, bank account, broker policy, and merchant capacity prerequisites "
     "in place. Create returns a reserved intent; completion proof arrives later as transaction.completed "
     "with phase=PAYOUT."),
    ("KYC_REQUIRED", "KYC required", "PREFLIGHT FAILS", "transaction.failed",
     "The mapped user has not completed KYC. Reservation preflight fails: create answers 422 "
     "RESERVATION_PREFLIGHT_FAILED with the intent_id of a FAILED intent, and transaction.failed with "
     "phase=PAYOUT is the durable failure proof."),
    ("BANK_ACCOUNT_MISSING", "Bank account missing", "PREFLIGHT FAILS", "transaction.failed",
     "The mapped user has no bank account on file. Reservation preflight fails with 422 and "
     "transaction.failed follows as the durable failure proof."),
    ("BROKER_POLICY_BLOCKED", "Broker policy blocked", "PREFLIGHT FAILS", "transaction.failed",
     "The broker policy does not allow this payout. Reservation preflight fails with 422 and "
     "transaction.failed follows as the durable failure proof."),
    ("MERCHANT_CAPACITY_EXCEEDED", "Merchant capacity exceeded", "PREFLIGHT FAILS", "transaction.failed",
     "The merchant's payout capacity is used up. Reservation preflight fails with 422 and "
     "transaction.failed follows as the durable failure proof."),
    ("EXPIRES", "Reservation expires", "EXPIRES", "transaction.expired",
     "Create returns a reserved intent that expires 60 s later on the sandbox clock if it is not claimed; "
     "the widget reports WIDGET_EXPIRED and transaction.expired is the durable proof."),
    ("CLAIM_REJECTED", "Claim rejected", "CLAIM FAILS", "transaction.failed",
     "Create returns a reserved intent, but the widget claim fails: the widget posts PAYOUT_REJECTED "
     "(SDK onPayoutRejected) and transaction.failed with failure_reason CLAIM_REJECTED is the durable proof."),
)

_COMMON = {
    "eyebrow": "Partner CRM simulator",
    "states": list(STATES),
    "summary_title": "Request summary",
    "summary_lead": "Partner to LIQX payload preview without raw JSON.",
    "response_title": "Response proof",
    "webhook_title": "Webhook proof summary",
    "advanced_title": "Advanced diagnostics: scenarios, raw API, filters, and state machine",
    "scenario_title": "Choose a scenario",
    "preview_title": "Request contract preview",
    "api_title": "Local API result",
    "envelope_title": "Session envelope",
    "envelope_lead": "Full session envelope returned by the demo proxy.",
    "receipts_title": "Webhook receipt proof",
    "history_title": "History filters",
    "history_empty": "No durable webhook rows matched the current proof or history filters yet.",
    "machine_title": "State machine",
    "webhook_scenarios": [list(pair) for pair in WEBHOOK_SCENARIOS],
    "webhook_scenario_label": "Webhook rehearsal (sent by the proxy as X-Sandbox-Scenario)",
}

PAYIN = {
    **_COMMON,
    "kind": "PAYIN",
    "path": "/partner/liqx/payin",
    "proxy": "/partner/api/liqx/payin-intents",
    "api_path": "/liqx/v1/payin-intents",
    "title": "PAYIN intent proof",
    "intro": "Send one PAYIN request, confirm LIQX accepted it, then compare the local widget result with the "
             "durable webhook receipt.",
    "ready": "Ready to create a PAYIN intent demo run.",
    "create_label": "Create PAYIN intent",
    "steps": [
        ["request", "Request sent", "Draft is ready in the request form."],
        ["api", "API accepted", "Waiting for the create action."],
        ["widget", "Widget completed", "Widget opens after LIQX accepts the intent."],
        ["webhook", "Webhook delivered", "Waiting for a durable receipt match."],
    ],
    "form_title": "Request form",
    "form_lead": "Edit the partner fields sent through the local demo proxy.",
    "scenario_badge": "VERIFIED PATH",
    "response_lead": "LIQX response and widget-session bootstrap stay separate from webhook delivery.",
    "response_empty": "Create the PAYIN intent to receive an intent_id and widget session.",
    "webhook_lead": "Only a durable receipt match marks delivery complete.",
    "webhook_empty": "Create a PAYIN intent or open Advanced diagnostics to look up a persisted receipt from a "
                     "previous run.",
    "widget_title": "PAYIN widget",
    "widget_lead": "The widget opens after the API response. Its local terminal result is not durable webhook "
                   "proof.",
    "widget_empty": "Create a PAYIN intent to open the widget automatically. Upstream proxy errors appear in the "
                    "response summary.",
    "scenario_notes": [
        "This route demonstrates the verified PAYIN intent-bound widget session path.",
        "The PAYIN demo uses one verified path. Drive the widget to observe PAYIN_COMPLETED or PAYIN_REJECTED "
        "messages and matching LIQX webhooks.",
    ],
    "preview_lead": "Proxy payload generated from the visible request form.",
    "api_empty": "No PAYIN intent has been created in this run.",
    "envelope_empty": "No PAYIN intent widget session has been created in this run.",
    "receipts_lead": "Polling durable /api/webhooks/liqx/events reads every 3s. Current-run proof uses intent_id "
                     "first, then external_ref fallback, and only completes when the durable webhook receipt is "
                     "read back.",
    "receipts_empty": "Create a PAYIN intent or use the filters below to retrieve persisted webhook proof from a "
                      "previous run.",
    "expected_webhook": "transaction.completed",
    "fields": [
        # name, label, default, placeholder, kind
        ["external_ref", "external_ref", "", "demo-<ms>", "ref"],
        ["external_user_id", "external_user_id", "partner-user-001", "", "text"],
        ["depositor_name", "depositor_name", "홍길동", "", "text"],
        ["amount_krw", "amount_krw", "100000", "", "amount"],
        ["amount_usdt", "amount_usdt", "75.50", "", "amount"],
        ["user_email", "user_email", "demo@example.com", "", "email"],
        ["return_url", "return_url", "https://partner.example.com/orders/demo", "", "url"],
        ["widget_type", "widget_type", "PAYIN", "", "fixed"],
    ],
    "payload_order": ["external_ref", "external_user_id", "depositor_name", "amount_krw", "amount_usdt",
                      "user_email", "return_url", "widget_type"],
}

PAYOUT = {
    **_COMMON,
    "kind": "PAYOUT",
    "path": "/partner/liqx/payout",
    "proxy": "/partner/api/liqx/payout-intents",
    "api_path": "/liqx/v1/payout-intents",
    "title": "PAYOUT intent proof",
    "intro": "Create one PAYOUT reservation, read the LIQX response as local proof, then wait for the durable "
             "webhook receipt before calling the flow delivered.",
    "ready": "Ready to create a PAYOUT intent demo run.",
    "create_label": "Create PAYOUT reservation",
    "steps": [
        ["request", "Request sent", "Draft is ready in the request form."],
        ["api", "API accepted", "Create a PAYOUT reservation to collect API proof."],
        ["widget", "Widget session", "Widget opens after LIQX accepts the reservation."],
        ["webhook", "Webhook delivered", "No durable receipt context has been created yet."],
    ],
    "form_title": "Request contract",
    "form_lead": "Values below are sent to the local demo proxy, not directly to LIQX.",
    "scenario_badge": "CLAIM READY",
    "response_lead": "LIQX response proof is local evidence. Webhook delivery is proven separately.",
    "response_empty": "Create a PAYOUT reservation to receive an intent_id, status, and widget session from LIQX.",
    "webhook_lead": "Only a durable receipt match proves LIQX delivered the callback.",
    "webhook_empty": "Create a PAYOUT reservation or open Advanced diagnostics to look up a persisted receipt "
                     "from a previous run.",
    "widget_title": "PAYOUT widget",
    "widget_lead": "The demo proxy creates a PAYOUT intent, exchanges it for a widget session, then embeds the "
                   "payout widget automatically. PAYOUT_REJECTED is the browser event that maps to the SDK "
                   "onPayoutRejected callback; durable failure proof remains transaction.failed or "
                   "transaction.expired in webhook receipts.",
    "widget_empty": "Create a PAYOUT reservation to open the widget automatically. If LIQX fails reservation "
                    "preflight or the intent expires, the upstream error appears here.",
    "scenario_notes": [],
    "scenarios": [list(s) for s in PAYOUT_SCENARIOS],
    "preview_lead": "Raw proxy payload generated from the visible request form.",
    "api_empty": "No PAYOUT intent has been created in this run.",
    "envelope_empty": "No PAYOUT intent widget session has been created in this run.",
    "receipts_lead": "Reading durable /api/webhooks/liqx/events receipts every 3s with the same history filters "
                     "as PAYIN.",
    "receipts_empty": "Create a PAYOUT reservation or use the filters below to retrieve persisted webhook proof "
                      "from a previous completion, reservation failure, or expiry scenario. API terminal state "
                      "alone is not the completion proof; the matching webhook row is.",
    "expected_webhook": "transaction.completed",
    "fields": [
        ["external_ref", "external_ref", "", "server-generated if blank", "text"],
        ["external_user_id", "external_user_id", "", "seeded mapped user fallback", "text"],
        ["legal_name", "legal_name", "홍길동", "", "text"],
        ["user_email", "user_email", "jane@example.com", "", "email"],
        ["return_url", "return_url", "https://demo.dev.liqx.io/payouts/demo", "", "url"],
        ["amount_krw", "amount_krw", "100000", "", "amount"],
        ["amount_usdt", "amount_usdt", "75.000000", "", "amount"],
    ],
    "payload_order": ["scenario", "external_ref", "external_user_id", "legal_name", "user_email", "return_url",
                      "amount_krw", "amount_usdt"],
}

PAGES = {"payin": PAYIN, "payout": PAYOUT}

def _quick(name: str, title: str, intro: str, fields: list, object_label: str, final_types: list[str],
           signed: bool = True, page_label: str = "Hosted page") -> dict:
    """The wording of one simple simulator page (ROZO, Inqud, Mizu): the LIQX pages' steps and proof."""
    rehearsals = [pair for pair in WEBHOOK_SCENARIOS if signed or pair[0] != "webhook-bad-signature"]
    return {
        "provider": name, "title": title, "intro": intro, "fields": fields, "object_label": object_label,
        "final_types": final_types, "signed": signed, "states": list(STATES), "page_label": page_label,
        "proxy": f"/partner/api/{name}/payments", "receipts": f"/api/webhooks/{name}/events",
        "webhook_scenarios": [list(pair) for pair in rehearsals],
        "steps": [["request", "Request sent", "Draft is ready in the request form."],
                  ["api", "API accepted", "Waiting for the create action."],
                  ["page", page_label, "Opens after the API accepts the payment."],
                  ["webhook", "Webhook delivered", "Waiting for a durable receipt match."]],
    }


QUICK_PAGES = {
    "rozo": _quick(
        "rozo", "ROZO payment proof",
        "Create a ROZO payment through the local demo proxy (it holds the X-API-Key), pay it on the hosted pay "
        "page, then wait for the signed payment_payin_completed / payment_payout_completed webhook receipt.",
        [["reference", "orderId", "", "ref"], ["title", "display.title", "Order #1042", "text"],
         ["amount", "source.amount (USDC on Base)", "10.00", "amount"]],
        "paymentId", ["payment_payin_completed", "payment_payout_completed"], page_label="Pay page"),
    "inqud": _quick(
        "inqud", "Inqud checkout proof",
        "Create an Inqud FIXED_PRICE checkout through the local demo proxy (it holds the API token), pay it in "
        "the hosted checkout, then wait for the X-Payload-Digest-signed webhook of its final status.",
        [["reference", "clientOrderId", "", "ref"], ["title", "name", "My shopping cart checkout", "text"],
         ["amount", "fixedAmount.amount (USD)", "100", "amount"],
         ["return_url", "returnUrl", "https://partner.example.com/orders/demo", "url"]],
        "checkoutId", ["checkout.SUCCESS", "checkout.CONFLICT", "checkout.EXPIRED", "checkout.CANCELLED"],
        page_label="Hosted checkout"),
    "mizu": _quick(
        "mizu", "Mizu payment link proof",
        "Create a Mizu payment link through the local demo proxy (it holds the bearer key), pay on the hosted pay "
        "page, then wait for the payment_intent.successed webhook (unsigned, as Mizu documents it).",
        [["reference", "clientReferenceId", "", "ref"], ["title", "title", "Mizu 커피 subscription", "text"],
         ["amount", "amount (USDC on Polygon)", "25.50", "amount"], ["email", "email", "demo@example.com", "email"]],
        "paymentLinkId", ["payment_intent.successed"], signed=False, page_label="Pay page"),
}

#: The simulator pages per provider: (key, label, path), for the landing page.
SIMULATORS = {
    "liqx": (("payin", "LIQX PAYIN intent proof", "/partner/liqx/payin"),
             ("payout", "LIQX PAYOUT intent proof", "/partner/liqx/payout")),
    "rozo": (("rozo", "ROZO payment proof", "/partner/rozo"),),
    "inqud": (("inqud", "Inqud checkout proof", "/partner/inqud"),),
    "mizu": (("mizu", "Mizu payment link proof", "/partner/mizu"),),
}
