"""Toy: a provider that lives only in the tests folder, to prove a provider needs nothing from the core.

It has the same files as the real ones (`routes.py`, `models.py`, `events.py`, `errors.py`) and its
own contracts folder, and is handed to `load_settings` and `create_app` beside the registry's
providers. Its "gadgets" are created through its API, moved to `done` by the control API or a
timer, and announce that with a webhook signed `X-Toy-Signature: <hex HMAC-SHA256(secret, body)>`.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.providers.base import Credential, Operation, Provider
from tests.toy_provider import errors, models, routes
from tests.toy_provider.events import POLICY, ToyDialect


class Toy(Provider):
    """The smallest provider: one object, one webhook, its own error envelope."""

    name = "toy"
    title = "Toy"
    dialect = ToyDialect()
    policy = POLICY
    credentials = (
        Credential("api_key", lambda ids: "toy_key_" + ids.alnum(16)),
        Credential("webhook_secret", lambda ids: "toy_whsec_" + ids.alnum(24)),
    )
    statuses = models.STATUSES
    graph = models.GRAPH
    api_base = "/v1"
    routes = routes.routes
    openapi = {
        ("POST", "/v1/gadgets"): Operation("gadget", "201", "gadget"),
        ("GET", "/v1/gadgets/{gadget_id}"): Operation(None, "200", "gadget"),
    }
    openapi_tag = "Toy (test provider)"
    fire = staticmethod(models.run_job)
    force = staticmethod(models.force)
    error_body = staticmethod(errors.error_body)

    @property
    def contracts(self) -> Path:
        """Its own contracts folder, beside its code."""
        return Path(__file__).parent / "contracts"


PROVIDER = Toy()
