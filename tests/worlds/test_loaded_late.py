"""A world another process created is loaded here only when that process's notice arrives.

Work can be queued for it before then: the delivery process hears of a new world and of the first
webhook queued in it one after the other, and loads the world over a round trip to the server, so
the webhook's notice may come first. It must still go out once the world is loaded (a notice
dropped then left the webhook pending for good: found as a CI run's timeout).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.clock import iso, to_ms
from sandbox.delivery.outbox import Outgoing, emit
from sandbox.providers.liqx.events import webhook_body
from tests.support import start_receiver, start_sandbox, stop_sandbox, until

EVENT_ID = "evt_" + "loadedlate".ljust(24, "0")   # the contract's shape: 24 lowercase letters and digits


def _completed(event_id: str, url: str) -> Outgoing:
    now = datetime.now(UTC)
    intent = {"intent_id": "lqi_" + "loadedlate".ljust(24, "0"), "external_ref": "loaded-late",
              "external_user_id": "partner-user-001", "type": "PAYIN", "status": "COMPLETED",
              "amount_krw": "1000", "amount_usdt": "1.00", "failure_reason": None, "completed_at": iso(now)}
    return Outgoing("liqx", event_id, "transaction.completed",
                    webhook_body(event_id, "transaction.completed", intent, now), url=url)


async def test_a_webhook_queued_before_its_world_is_loaded_goes_out_once_it_is(tmp_path):
    running = await start_sandbox(tmp_path)
    receiver = await start_receiver()
    try:
        services = running.sb.services
        world_id = (await running.control("POST", "/worlds", {}))["id"]
        # This process now knows the world as one another process made would be known: not at all.
        services.worlds.remove(world_id)
        services.dispatcher.forget_world(world_id)
        event = _completed(EVENT_ID, receiver.url)
        await services.store.commit(lambda uow: emit(uow, event, to_ms(datetime.now(UTC))), world=world_id)
        assert not receiver.requests
        services.store.world_changed(world_id)   # the other process's notice: the world is loaded
        [request] = await receiver.wait_for(1, timeout=10)
        assert EVENT_ID.encode() in request["raw"]
        assert services.worlds.find(world_id) is not None
    finally:
        await stop_sandbox(running)
        await receiver.runner.cleanup()


async def test_a_timer_noted_before_its_world_is_loaded_gets_its_deadline_once_it_is(tmp_path):
    running = await start_sandbox(tmp_path)
    try:
        services = running.sb.services
        world_id = (await running.control("POST", "/worlds", {}))["id"]
        services.worlds.remove(world_id)
        services.timers.forget_world(world_id)
        services.timers.notice(world_id, 4_102_444_800_000)   # a timer due in 2100, on a clock not known here
        assert services.timers.schedule.next_deadline() is None
        services.store.world_changed(world_id)
        assert await until(lambda: services.worlds.find(world_id) is not None), "the world was never loaded"
        assert services.timers.schedule.next_deadline() is not None, "the note never got its real deadline"
    finally:
        await stop_sandbox(running)
