"""The project (Inqud calls it the widget): id `CAP-…`, suggested amounts, accepted currencies.

In Inqud these are widget settings made in the app, not through the API ("predefined amounts come
from the widget settings and cannot be changed via REST API requests"). The sandbox keeps them in
the database (`meta` key `inqud:project`) and lets a partner read and change them through the
sandbox-only `/inqud/sandbox/projects/{projectId}`. The webhook URL and secret are the provider's
endpoint, kept by the accounts service (`sandbox.services.accounts`), so the control API and this page
show the same values.
"""

from __future__ import annotations

from sandbox.providers.inqud.catalog import CRYPTO
from sandbox.store import UnitOfWork

META_KEY = "inqud:project"
DEFAULT = {
    "name": "Sandbox crypto widget",
    "suggestedAmounts": {"currency": "USD", "amounts": [10, 25, 50, 100]},
    "cryptoCurrencies": list(CRYPTO),
}


def load(db: UnitOfWork) -> dict:
    """The stored settings, made from the defaults the first time."""
    settings = db.meta.get(META_KEY)
    if settings is None:
        settings = {k: (list(v) if isinstance(v, list) else (dict(v) if isinstance(v, dict) else v))
                    for k, v in DEFAULT.items()}
        db.meta.set(META_KEY, settings)
    return settings


def update(db: UnitOfWork, changes: dict) -> dict:
    """Apply the members present in `changes` (already validated) and store the result."""
    settings = dict(load(db))
    for key in ("name", "suggestedAmounts", "cryptoCurrencies"):
        if key in changes:
            settings[key] = changes[key]
    db.meta.set(META_KEY, settings)
    return settings


def public(settings: dict, project_id: str, merchant_domain: str, webhook_url: str | None,
           webhook_secret: str | None) -> dict:
    """The project as `GET /inqud/sandbox/projects/{projectId}` answers it."""
    return {
        "id": project_id, "name": settings["name"], "merchantDomain": merchant_domain, "active": True,
        "suggestedAmounts": settings["suggestedAmounts"], "cryptoCurrencies": settings["cryptoCurrencies"],
        "webhookUrl": webhook_url, "webhookSecret": webhook_secret,
    }
