"""The partner app under test, wired to a fresh sandbox world (fixture `sandbox_world`)."""

from __future__ import annotations

import pytest

from partner_app import LiqxConfig, create_app


@pytest.fixture
async def app(aiohttp_client, sandbox_world):
    """The app configured with the world's LIQX credentials, and the world's LIQX webhooks sent to it."""
    liqx = sandbox_world.credentials("liqx")
    config = LiqxConfig(base_url=liqx["base_url"], api_key=liqx["api_key"], webhook_secret=liqx["webhook_secret"])
    client = await aiohttp_client(create_app(config))
    endpoint = sandbox_world.set_webhook_url("liqx", str(client.make_url("/webhooks/liqx")))
    config.webhook_secret = endpoint["secret"]
    return client
