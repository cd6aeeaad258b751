"""`/_sandbox/worlds` (SPEC §12): create, list, get, delete, TTL, and naming a world on the control API."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.worlds.support import PROVIDERS, create_world, world_view


async def test_create_answers_credentials_base_urls_webhook_urls_and_clock(sandbox):
    """201 with an id `wld_…`, credentials per provider shaped as in /config, and the built-in receiver URLs."""
    world = await create_world(sandbox, name="ci-job-17", clock={"now": "2030-01-01T00:00:00Z", "time_scale": 0})
    assert world["id"].startswith("wld_") and world["name"] == "ci-job-17"
    config = await sandbox.control("GET", "/config")
    assert set(world["credentials"]) == set(PROVIDERS) == set(world["base_urls"]) == set(world["webhook_urls"])
    for provider in PROVIDERS:
        assert set(world["credentials"][provider]) == set(config["providers"][provider]), provider
        assert world["webhook_urls"][provider] == f"{sandbox.base_url}/api/webhooks/{provider}?world={world['id']}"
    assert world["clock"] == {"now": "2030-01-01T00:00:00.000Z", "time_scale": 0.0}
    assert world["signature_clock"] == "wall" and world["created_at"].endswith("Z")


async def test_every_world_has_its_own_keys_rozo_app_id_and_inqud_project(sandbox):
    """Two worlds and the default world share no key, ROZO appId or Inqud project id."""
    first, second = await create_world(sandbox), await create_world(sandbox)
    default = (await sandbox.control("GET", "/config"))["providers"]
    for field in (("liqx", "api_key"), ("rozo", "api_key"), ("rozo", "app_id"), ("inqud", "api_id"),
                  ("inqud", "api_secret"), ("inqud", "project_id"), ("mizu", "api_key"), ("liqx", "webhook_secret")):
        provider, name = field
        values = {first["credentials"][provider][name], second["credentials"][provider][name], default[provider][name]}
        assert len(values) == 3, field


async def test_a_new_worlds_clock_starts_at_the_real_time_with_scale_one(sandbox):
    """Without `clock` the world's clock is the real clock, even when the default world's is pinned elsewhere."""
    world = await world_view(sandbox)
    clock = await world.control("GET", "/clock")
    assert clock["time_scale"] == 1.0
    from sandbox.clock import parse_iso
    assert abs(parse_iso(clock["now"]).timestamp() - time.time()) < 5


async def test_list_puts_the_default_world_first_and_get_returns_one(sandbox):
    """GET /worlds lists `default` first, then worlds by creation; GET /worlds/{id} answers that world."""
    made = [await create_world(sandbox, name=f"w{i}") for i in range(3)]
    listed = (await sandbox.control("GET", "/worlds"))["data"]
    assert [w["id"] for w in listed] == ["default", *[w["id"] for w in made]]
    one = await sandbox.control("GET", f"/worlds/{made[1]['id']}")
    assert one["id"] == made[1]["id"] and one["name"] == "w1"
    assert one["credentials"] == made[1]["credentials"]


async def test_unknown_or_deleted_world_is_404_world_not_found_never_the_default(sandbox):
    """A control call naming a missing world, by header or query, is 404 WORLD_NOT_FOUND."""
    world = await world_view(sandbox)
    assert (await sandbox.control("DELETE", f"/worlds/{world.id}"))["deleted"] == world.id
    for path, headers in (("/_sandbox/intents", {"X-Sandbox-World": world.id}),
                          (f"/_sandbox/intents?world={world.id}", {}),
                          ("/_sandbox/clock", {"X-Sandbox-World": "wld_nope"}),
                          (f"/_sandbox/worlds/{world.id}", {})):
        status, body, _ = await sandbox.request("GET", path, headers=headers)
        assert status == 404 and body["error"]["code"] == "WORLD_NOT_FOUND", (path, body)
    status, body, _ = await sandbox.request("DELETE", f"/_sandbox/worlds/{world.id}")
    assert status == 404 and body["error"]["code"] == "WORLD_NOT_FOUND"


async def test_the_default_world_cannot_be_deleted(sandbox):
    """DELETE /worlds/default is refused: the configured world always exists."""
    status, body, _ = await sandbox.request("DELETE", "/_sandbox/worlds/default")
    assert status == 400 and body["error"]["code"] == "VALIDATION_FAILED"


@pytest.mark.parametrize("body", [
    {"name": "x" * 1001}, {"seed": "seven"}, {"ttl_s": 0}, {"ttl_s": -1}, {"clock": {"time_scale": -1}},
    {"clock": {"now": "yesterday"}}, {"webhook_urls": {"liqx": "ftp://example.com"}},
    {"webhook_urls": {"stripe": "http://127.0.0.1/x"}}, {"signature_clock": "moon"}, {"colour": "red"},
])
async def test_bad_world_bodies_are_400_naming_the_field(sandbox, body):
    """Each invalid create body answers 400 VALIDATION_FAILED with details, never a 500."""
    status, answer, _ = await sandbox.request("POST", "/_sandbox/worlds", json=body)
    assert status == 400, answer
    assert answer["error"]["code"] == "VALIDATION_FAILED" and answer["error"]["details"]


async def test_a_world_with_ttl_is_deleted_after_that_many_real_seconds(sandbox):
    """ttl_s is real time: the world answers, then after its TTL it is 404 and its credentials are dead."""
    world = await world_view(sandbox, ttl_s=0.3)
    assert world.world["expires_at"] is not None
    status, _, _ = await sandbox.request("GET", "/liqx/v1/intents", headers={"Authorization": f"Bearer {world.key('liqx')}"})
    assert status == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # real seconds, the TTL's own unit
        status, _, _ = await sandbox.request("GET", f"/_sandbox/worlds/{world.id}")
        if status == 404:
            break
        await asyncio.sleep(0.05)
    assert status == 404
    status, _, _ = await sandbox.request("GET", "/liqx/v1/intents", headers={"Authorization": f"Bearer {world.key('liqx')}"})
    assert status == 401


async def test_config_and_reset_act_on_the_addressed_world(sandbox):
    """GET /config with the header shows the world's keys; POST /reset empties only that world."""
    world = await world_view(sandbox)
    config = await world.control("GET", "/config")
    assert config["world"] == world.id
    assert config["providers"]["liqx"]["api_key"] == world.key("liqx")
    assert (await sandbox.control("GET", "/config"))["providers"]["liqx"]["api_key"] != world.key("liqx")
    from tests.faults.drivers import DRIVERS
    await DRIVERS["liqx"].produce(world)
    await DRIVERS["liqx"].produce(sandbox)
    await world.control("POST", "/reset", {})
    assert (await world.control("GET", "/intents"))["data"] == []
    assert len((await sandbox.control("GET", "/intents"))["data"]) == 1
    assert (await world.control("GET", "/config"))["providers"]["liqx"]["api_key"] == world.key("liqx"), \
        "reset forgets data, not the world's credentials"


async def test_a_world_is_created_in_one_transaction(sandbox, monkeypatch):
    """The world's record and every provider's bookkeeping (LIQX's users, Inqud's project) commit together."""
    store = sandbox.sb.services.store   # the server's store, which the worlds' lifecycle writes through
    commits = []
    real_commit = store.commit

    async def counting(fn, *args, **kwargs):
        commits.append(kwargs.get("world"))
        return await real_commit(fn, *args, **kwargs)

    monkeypatch.setattr(store, "commit", counting)
    world = await create_world(sandbox)
    monkeypatch.undo()
    assert commits == [world["id"]]
    stored = await store.read(lambda uow: (uow.meta.get("liqx:users"), uow.meta.get("inqud:project")),
                              world=world["id"])
    assert [len(stored[0]), stored[1]["name"]] == [5, "Sandbox crypto widget"]
