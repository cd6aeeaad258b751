"""Mizu Financial: crypto payment links, a hosted pay page and the `payment_intent.successed` webhook (SPEC §4).

Only the webhook is public (Mizu's "Payment Acquirement → Webhook" page); the payment-link API is
this sandbox's provisional stand-in, marked so in its contracts and in docs/mizu.md.
"""

from __future__ import annotations

from sandbox.providers.base import Credential, Operation, Provider, Where
from sandbox.providers.mizu import errors, models, pages, routes
from sandbox.providers.mizu.events import POLICY, MizuDialect
from sandbox.providers.mizu.grading import GRADING


class Mizu(Provider):
    """Mizu as the sandbox impersonates it: unsigned webhooks sent once, a provisional API."""

    name = "mizu"
    title = "Mizu Financial"
    page_brand = "Mizu Pay"
    dialect = MizuDialect()
    policy = POLICY
    #: Only an API key is made: Mizu's webhooks are unsigned (a configured secret is still shown).
    credentials = (
        Credential("api_key", lambda ids: "mizu_sk_sandbox_" + ids.alnum(24)),
        Credential("webhook_secret"),
    )
    statuses = tuple(str(status) for status in models.STATUS_NAMES)
    graph = {str(status): {str(n) for n in following} for status, following in models.GRAPH.items()}
    settlement_delay_s = models.SETTLEMENT_DELAY_S
    api_base = "/api/v1"
    routes = routes.routes
    pages = pages.routes
    openapi = {
        ("POST", "/api/v1/payment-links"): Operation("payment-link", "201", "payment-link"),
        ("GET", "/api/v1/payment-links/{link_id}"): Operation(None, "200", "payment-link"),
        ("GET", "/api/v1/payments/{payment_id}"): Operation(None, "200", "payment"),
        ("GET", "/api/v1/payments"): Operation(None, "200", "payment-list"),
        # The pay page's own calls.
        ("GET", "/pay/{link_id}"): Operation(None, "200", None, public=True),
        ("POST", "/pay/{link_id}/payments"): Operation("start-payment", "201", "pay-state", public=True),
        ("GET", "/pay/{link_id}/payments/{payment_id}"): Operation(None, "200", "pay-state", public=True),
        ("POST", "/pay/{link_id}/payments/{payment_id}/actions"): Operation("pay-action", "200", "pay-state",
                                                                          public=True),
        ("POST", "/pay/{link_id}/payments/{payment_id}/events"): Operation("browser/pay-event", "202", None,
                                                                         public=True),
    }
    openapi_tag = "Mizu Financial (provisional API)"
    auth_scheme = {"type": "http", "scheme": "bearer", "description": "mizu_sk_sandbox_…"}
    fire = staticmethod(models.run_job)
    force = staticmethod(models.force)
    error_body = staticmethod(errors.error_body)
    grading = GRADING

    def describe_more(self, where: Where) -> dict:
        """Unsigned, sent once; the pay page's URL pattern and what the API accepts."""
        return {
            "webhook_secret": None,
            "webhook_signed": False,
            "webhook_retries": 0,
            "pay_url": f"{self.base_url(where)}/mizu/pay/{{paymentLinkId}}?email=&clientReferenceId=",
            "settlement_delay_s": self.ctx(where).settlement_delay_s,
            "pay_window_s": models.PAY_WINDOW_S,
            "chains": list(models.CHAINS),
            "currencies": list(models.CURRENCIES),
            "api_status": "provisional",
        }


PROVIDER = Mizu()
