"""Inqud: crypto acquiring checkouts, the `<app-widget>` web component and `X-Payload-Digest` webhooks (SPEC §4)."""

from __future__ import annotations

from aiohttp import web

from sandbox.ids import Ids
from sandbox.providers.base import Provider
from sandbox.providers.inqud import models, pages, routes
from sandbox.providers.inqud import project as projects
from sandbox.providers.inqud.errors import render_error
from sandbox.providers.inqud.events import POLICY, InqudDialect
from sandbox.providers.inqud.grading import GRADING
from sandbox.providers.inqud.statuses import ALL_STATUSES
from sandbox.providers.inqud.wire import acquiring_url


def default_credentials(ids: Ids) -> dict[str, str]:
    """A token (`TKN-…` id and secret), the project (`CAP-…`) and its webhook secret, made once per database."""
    return {"api_id": "TKN-" + ids.uuid(), "api_secret": ids.base58(64), "project_id": "CAP-" + ids.uuid(),
            "webhook_secret": ids.base58(40)}


def make_app() -> web.Application:
    """The `/inqud` sub-app: the partner API, the sandbox's project settings and the hosted pages."""
    app = web.Application()
    app.add_routes(routes.routes)
    app.add_routes(pages.routes)
    app.router.add_static("/static", pages.STATIC, append_version=False)
    return app


async def run_job(sb, job) -> None:
    """Fire a due timer (expiry, confirmation, scenario outcome) in one transaction."""
    await sb.store.commit(models.run_job, routes.ctx_of(sb), job.intent_id, job.kind, job.payload)


async def transition(sb, object_id: str, to: str) -> dict:
    """The control API's transition: walk a checkout or request to `to`."""
    return await sb.store.commit(models.force, routes.ctx_of(sb), object_id, to)


async def on_start(sb) -> None:
    """Make the project settings on first start (and after a reset)."""
    await sb.store.commit(projects.load)


def describe(sb) -> dict:
    """Base URLs, token, project and webhook endpoint for `/_sandbox/config` and the start banner."""
    credentials = sb.credentials["inqud"]
    url, secrets = sb.endpoint("inqud")
    project_id = credentials["project_id"]
    return {
        "base_url": f"{sb.base_url}/inqud",
        "api_id": credentials["api_id"],
        "api_secret": credentials["api_secret"],
        "project_id": project_id,
        "webhook_url": url,
        "webhook_secret": secrets[0] if secrets else None,
        "checkouts_url": f"{sb.base_url}/inqud/v1/user/crypto-acquiring/{project_id}/checkouts",
        "requests_url": f"{sb.base_url}/inqud/v1/user/crypto-acquiring/{project_id}/requests",
        "project_settings_url": f"{sb.base_url}/inqud/sandbox/projects/{project_id}",
        "widget_script": f"{sb.base_url}/inqud/pay/widget.js",
        "acquiring_url": acquiring_url(sb.base_url, "{checkoutId}"),
    }


PROVIDER = Provider(
    name="inqud",
    title="Inqud",
    make_app=make_app,
    dialect=InqudDialect(),
    policy=POLICY,
    default_credentials=default_credentials,
    render_error=render_error,
    run_job=run_job,
    transition=transition,
    statuses=ALL_STATUSES,
    describe=describe,
    on_start=on_start,
    grading=GRADING,
)
