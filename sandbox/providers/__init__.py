"""The provider registry: one line per impersonated provider, the only place that names them.

The core never imports a provider package. `create_app` and `load_settings` take the providers
they are given (a test can bring its own) and default to these.
"""

from __future__ import annotations

from sandbox.providers import inqud, liqx, mizu, rozo
from sandbox.providers.base import Provider

PROVIDERS: tuple[Provider, ...] = (
    liqx.PROVIDER,
    rozo.PROVIDER,
    inqud.PROVIDER,
    mizu.PROVIDER,
)


def registered() -> tuple[Provider, ...]:
    """The registered providers, in registry order (credentials are made in this order)."""
    return PROVIDERS
