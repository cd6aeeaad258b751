"""Inqud: crypto acquiring checkouts, the `<app-widget>` web component and `X-Payload-Digest` webhooks (SPEC §4)."""

from __future__ import annotations

from urllib.parse import urlparse

from aiohttp import web

from sandbox.providers.base import Credential, Provider, Where
from sandbox.providers.inqud import errors, models, pages, routes
from sandbox.providers.inqud import project as projects
from sandbox.providers.inqud.events import POLICY, InqudDialect
from sandbox.providers.inqud.grading import GRADING
from sandbox.providers.inqud.objects import Ctx, acquiring_url
from sandbox.providers.inqud.statuses import ALL_STATUSES, CHECKOUT_GRAPH, REQUEST_GRAPH


class Inqud(Provider):
    """Inqud as its public documentation describes it; the error shape is the sandbox's own choice."""

    name = "inqud"
    title = "Inqud"
    page_brand = "inqud"
    dialect = InqudDialect()
    policy = POLICY
    #: A token (`TKN-…` id and secret), the project (`CAP-…`) and its webhook secret.
    credentials = (
        Credential("api_id", lambda ids: "TKN-" + ids.uuid()),
        Credential("api_secret", lambda ids: ids.base58(64)),
        Credential("project_id", lambda ids: "CAP-" + ids.uuid()),
        Credential("webhook_secret", lambda ids: ids.base58(40)),
    )
    statuses = ALL_STATUSES
    graph = {**CHECKOUT_GRAPH, **REQUEST_GRAPH}
    routes = routes.routes
    pages = pages.routes
    ctx_type = Ctx
    fire = staticmethod(models.run_job)
    force = staticmethod(models.force)
    error_body = staticmethod(errors.error_body)
    grading = GRADING

    def authenticate(self, request: web.Request) -> None:
        """Either token mode over an empty body (the GET form)."""
        routes.authenticate(request, b"")

    async def read_body(self, request: web.Request, contract: str) -> tuple[dict, bytes]:
        """The HMAC mode signs the raw body, so it is read before authenticating."""
        return await routes.read_body(request, contract)

    def ctx_fields(self, where: Where) -> dict:
        """The sandbox's project and the merchant domain checkouts name."""
        return {"project_id": self.credential(where, "project_id"),
                "merchant_domain": urlparse(self.base_url(where)).netloc}

    def seed(self, db, ctx) -> None:
        """Make the project settings on first start (and after a reset)."""
        projects.load(db)

    def describe_more(self, where: Where) -> dict:
        """The endpoints of the sandbox's project and the widget script."""
        base_url, project_id = self.base_url(where), self.credential(where, "project_id")
        return {
            "checkouts_url": f"{base_url}/inqud/v1/user/crypto-acquiring/{project_id}/checkouts",
            "requests_url": f"{base_url}/inqud/v1/user/crypto-acquiring/{project_id}/requests",
            "project_settings_url": f"{base_url}/inqud/sandbox/projects/{project_id}",
            "widget_script": f"{base_url}/inqud/pay/widget.js",
            "acquiring_url": acquiring_url(base_url, "{checkoutId}"),
        }


PROVIDER = Inqud()
