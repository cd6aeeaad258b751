"""A world seen from a partner's CI job: its own credentials on the provider APIs, its header on the control API.

`WorldView` quacks like `tests.support.Running`, so the provider drivers and support helpers
written for the default world drive any world: `key()` and `credentials()` answer the world's
credentials from `POST /_sandbox/worlds`, `control()` adds `X-Sandbox-World`, `advance()` moves
only this world's clock through the control API.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support import Running

PROVIDERS = ("liqx", "rozo", "inqud", "mizu")


async def create_world(running: Running, **body) -> dict:
    """`POST /_sandbox/worlds`; asserts 201 and returns the world."""
    status, world, _ = await running.request("POST", "/_sandbox/worlds", json=body)
    assert status == 201, world
    return world


@dataclass
class WorldView:
    """One world of a running server."""

    running: Running
    world: dict

    @property
    def id(self) -> str:
        return self.world["id"]

    @property
    def sb(self):
        return self.running.sb

    @property
    def base_url(self) -> str:
        return self.running.base_url

    def credentials(self, provider: str) -> dict:
        return self.world["credentials"][provider]

    def key(self, provider: str, name: str = "api_key") -> str:
        return self.credentials(provider)[name]

    async def request(self, method: str, path: str, **kwargs):
        return await self.running.request(method, path, **kwargs)

    async def control_raw(self, method: str, path: str, body: dict | None = None):
        """A control call in this world: (status, body)."""
        status, data, _ = await self.running.request(method, "/_sandbox" + path, json=body,
                                                     headers={"X-Sandbox-World": self.id})
        return status, data

    async def control(self, method: str, path: str, body: dict | None = None) -> dict:
        status, data = await self.control_raw(method, path, body)
        assert status < 300, (status, data)
        return data

    async def advance(self, seconds: float) -> None:
        """Move this world's clock only, then wait until what it made due has run."""
        await self.control("POST", "/clock/advance", {"seconds": seconds})
        await self.running.settle()

    async def settle(self) -> None:
        await self.running.settle()

    async def receipts(self, provider: str, query: str = "") -> list[dict]:
        """This world's receipts in the built-in receiver."""
        status, body, _ = await self.running.request(
            "GET", f"/api/webhooks/{provider}/events?world={self.id}&limit=100{query}")
        assert status == 200, body
        return body["data"]


async def world_view(running: Running, **body) -> WorldView:
    return WorldView(running, await create_world(running, **body))
