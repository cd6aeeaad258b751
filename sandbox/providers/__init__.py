"""The impersonated providers. The core never imports these; `app.py` wires them in."""

from sandbox.providers import inqud, liqx, mizu, rozo

PROVIDERS = (liqx.PROVIDER, rozo.PROVIDER, inqud.PROVIDER, mizu.PROVIDER)
