"""Run a grade (SPEC §15): each case's synthetic events, sent through the dispatcher, judged, kept.

A grade never touches a partner's data. By default it runs in a world of its own, made for the
grade as a copy of the addressed world's account (`WorldLifecycle.create(…, account_of=)`: the same credentials,
webhook secrets, signature clock and clock time, none of its rows) and deleted afterwards, so
the addressed world's intents, deliveries, fault rules, receiver instructions and clock stay
exactly as they were, while every webhook still verifies with the secret the partner holds for
that world. The report is kept in the addressed world, whole — each attempt's headers, bodies
and answer are copied into it before the grade's world goes — so the inspector's grade page
needs nothing else. Asked for an existing world (`GradeRequest.world`), the grade runs there and the world
stays, with the grade's rows in it.

Inside its world every case makes its own synthetic intent from the provider's `GradeProfile`,
tagged with the grade id (`grd_…-honest` is its external ref). Each send is one attempt of the
dispatcher's — the same signing, the same fault actions (`bad_signature`, `stale_timestamp`,
`missing_signature`, `unknown_fields`, `tampered_body`, `duplicate` copies, the `reorder` hold)
and the same attempt rows as any delivery — awaited here and never retried, so the receiver sees
exactly the battery.
Cases run concurrently (each with its own intent); the sends inside a case keep their order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from sandbox.clock import iso, to_ms
from sandbox.control.worlds import WorldBody
from sandbox.delivery.faults import FaultRule, log_fault
from sandbox.delivery.outbox import Outgoing, insert_copy, stage
from sandbox.delivery.rows import Claimed
from sandbox.grading import state as views
from sandbox.grading.cases import (
    ACTIONS,
    CASES,
    EXPECTED,
    EXPECTED_STATE,
    HONEST_TIMEOUT_S,
    REJECTED,
    Verdict,
    answer,
    judge_answers,
    judge_slow_ack,
)
from sandbox.grading.records import attempts_of, put_grade
from sandbox.grading.sample import SampleContext, SampleEvent
from sandbox.store import UnitOfWork, dumps
from sandbox.worlds import WorldNotFound

DUPLICATE_COPIES = 2
#: Real seconds after which the grade's own world is deleted even if the server stopped mid-grade.
GRADE_WORLD_TTL_S = 3600


@dataclass(frozen=True, slots=True)
class GradeRequest:
    """What to grade: a provider's webhooks against a partner's endpoint."""

    provider: str
    target: str
    cases: tuple[str, ...] = CASES
    state_url: str | None = None
    #: An existing world to grade in (kept); None: a world of the grade's own, deleted after it.
    world: str | None = None


class Grade:
    """One grade in progress: sent from `sb`'s world, its report kept in `home`'s (the addressed world)."""

    def __init__(self, home, sb, request: GradeRequest, session: aiohttp.ClientSession) -> None:
        self.home, self.sb, self.request, self.session = home, sb, request, session
        self.provider = sb.providers[request.provider]
        self.profile = self.provider.grading
        self.id = "grd_" + sb.ids.alnum(16)
        self.deliveries: list[int] = []

    def not_applicable(self, name: str) -> str | None:
        """Why a case does not apply to this provider (published behaviour, or no secret set), or None."""
        reason = self.profile.not_applicable.get(name)
        if reason:
            return reason
        signed = bool(self.provider.dialect.signature_headers)
        if name in REJECTED and signed and not self.sb.endpoint(self.provider.name)[1]:
            return (f"no webhook secret is set for {self.provider.title}, so its webhooks go unsigned; set one "
                    f"(PUT /_sandbox/endpoints/{self.provider.name}) to grade the signature cases.")
        if name == "stale_timestamp" and not self.profile.signs_time:
            return f"{self.provider.title}'s signature carries no time, so there is no timestamp to check."
        return None

    async def run(self) -> dict:
        """Every requested case, then `slow_ack` over all their attempts; the report, kept in the home world."""
        created = self.home.clock.now()
        real = [name for name in CASES if name in self.request.cases and name != "slow_ack"]
        verdicts = list(await asyncio.gather(*(self.case(name) for name in real)))
        if "slow_ack" in self.request.cases:
            rows = await self.sb.store.read(attempts_of, self.deliveries)
            ok, observed, offenders = judge_slow_ack(rows)
            verdicts.append(Verdict("slow_ack", "passed" if ok else "failed", EXPECTED["slow_ack"], observed, offenders))
        finished = self.home.clock.now()
        report = {
            "id": self.id, "provider": self.provider.name, "target": self.request.target,
            "passed": all(v.status != "failed" for v in verdicts),
            "cases": [v.as_dict() for v in verdicts],
            "state_url": self.request.state_url, "created_at": iso(created), "finished_at": iso(finished),
            "grade_world": {"id": self.sb.world.id, "kept": self.request.world is not None},
        }
        if self.home.worlds.find(self.home.world.id) is not self.home.world:
            raise WorldNotFound(self.home.world.id)   # deleted meanwhile: keep no report for no world
        await self.home.store.commit(put_grade, report, to_ms(created), to_ms(finished))
        return report

    async def case(self, name: str) -> Verdict:
        """One case, judged; a case that cannot run (a sandbox error) fails with the reason."""
        expected = EXPECTED[name] + (EXPECTED_STATE.get(name, "") if self.request.state_url else "")
        reason = self.not_applicable(name)
        if reason:
            return Verdict(name, "not_applicable", expected, reason)
        ctx = SampleContext(self.sb.ids, self.sb.clock.now(), self.sb.base_url,
                            self.sb.credentials.get(self.provider.name, {}), f"{self.id}-{name}")
        events = self.profile.sample(ctx)
        if name == "duplicate":
            verdict = await self._duplicate(events[0])
        elif name == "out_of_order":
            verdict = await self._out_of_order(events)
        else:
            verdict = await self._single(name, events[0])
        verdict.expected = expected
        return verdict

    # --- the three shapes of case ------------------------------------------------------------

    async def _single(self, name: str, event: SampleEvent) -> Verdict:
        faults = ACTIONS.get(name, [])
        before = await self._view(event) if name in REJECTED else None
        delivery = await self._stage(name, event, faults)
        record = await self._send(delivery, event, faults)
        ok = judge_answers(name, [record])
        observed = answer(record)
        state = []
        if before is not None:
            after = await self._view(event)
            state = [before, after]
            ok, observed = self._compare(ok, observed, before, after, "changed the partner's view")
        return await self._verdict(name, ok, observed, [delivery], state)

    async def _duplicate(self, event: SampleEvent) -> Verdict:
        first = await self._stage("duplicate", event, ["duplicate"])
        records = [await self._send(first, event, ["duplicate"])]
        after_first = await self._view(event)
        copies = await self.sb.store.commit(_copies, first, DUPLICATE_COPIES, self.sb.clock.now_ms())
        self.deliveries.extend(copies)
        records += await asyncio.gather(*(self._send(c, event, ["duplicate"], "duplicate") for c in copies))
        ok, observed = judge_answers("duplicate", records), ", ".join(answer(r) for r in records)
        state = []
        if after_first is not None:
            after_all = await self._view(event)
            state = [after_first, after_all]
            ok, observed = self._compare(ok, observed, after_first, after_all, "the copies changed the partner's view")
        return await self._verdict("duplicate", ok, observed, [first, *copies], state)

    async def _out_of_order(self, events: list[SampleEvent]) -> Verdict:
        earlier, later = events[0], events[-1]
        held = await self._stage("out_of_order", earlier, ["reorder"])
        sent_first = await self._stage("out_of_order", later, [])
        records = [await self._send(sent_first, later, [])]
        after_later = await self._view(later)
        records.append(await self._send(held, earlier, ["reorder"]))
        ok = judge_answers("out_of_order", records)
        observed = f"later ({later.type}): {answer(records[0])}; earlier ({earlier.type}): {answer(records[1])}"
        state = []
        if after_later is not None:
            after_earlier = await self._view(earlier)
            state = [after_later, after_earlier]
            ok, observed = self._compare(ok, observed, after_later, after_earlier,
                                         "the earlier event rolled the partner's view back")
        return await self._verdict("out_of_order", ok, observed, [sent_first, held], state)

    # --- helpers ---------------------------------------------------------------------------------

    async def _stage(self, name: str, event: SampleEvent, faults: list[str]) -> int:
        # No intent id on the rows: the synthetic intent exists only in the report, so the grade
        # adds nothing to the inspector's intents or their timelines (the grade page shows it all).
        outgoing = Outgoing(self.provider.name, event.event_id, event.type, event.body, None, event.external_ref,
                            url=self.request.target)
        delivery = await self.sb.store.commit(_stage_and_log, outgoing, faults, f"{self.id}:{name}",
                                             self.sb.clock.now_ms())
        self.deliveries.append(delivery)
        return delivery

    async def _send(self, delivery: int, event: SampleEvent, faults: list[str], trigger: str = "scheduled") -> dict:
        item = Claimed(delivery, event.event_id, self.provider.name, None, event.external_ref, event.type,
                       dumps(event.body), self.request.target, None, trigger, 1, list(faults), world=self.sb.world.id)
        return await self.sb.dispatcher.send_once(item, HONEST_TIMEOUT_S)

    async def _view(self, event: SampleEvent) -> dict | None:
        if not self.request.state_url:
            return None
        url = views.expand(self.request.state_url, self.provider.name, event.intent_id, event.external_ref)
        return await views.read(self.session, url)

    @staticmethod
    def _compare(ok: bool, observed: str, first: dict, second: dict, change: str) -> tuple[bool, str]:
        if "error" in first or "error" in second:
            broken = first if "error" in first else second
            return False, f"{observed}; the partner's view could not be read: {views.describe(broken)}"
        if views.same(first, second):
            return ok, f"{observed}; view unchanged ({views.describe(second)})"
        return False, f"{observed}; {change}: {views.describe(first)} → {views.describe(second)}"

    async def _verdict(self, name: str, ok: bool, observed: str, deliveries: list[int], state: list[dict]) -> Verdict:
        attempts = await self.sb.store.read(attempts_of, deliveries)
        return Verdict(name, "passed" if ok else "failed", EXPECTED[name], observed, attempts, state)


def _stage_and_log(uow: UnitOfWork, outgoing: Outgoing, faults: list[str], rule_id: str, now_ms: int) -> int:
    """Stage an event for the grade and log each action it carries, as applied fault rules are logged."""
    delivery = stage(uow, outgoing, faults, now_ms)
    for action in faults:
        rule = FaultRule(id=rule_id, provider=outgoing.provider, action=action)
        log_fault(uow, rule, outgoing.provider, None, "delivery", now_ms,
                  {"event_id": outgoing.event_id, "event_type": outgoing.type, "delivery_id": delivery,
                   "grade": rule_id.split(":")[0]})
    return delivery


def _copies(uow: UnitOfWork, delivery: int, count: int, now_ms: int) -> list[int]:
    return [insert_copy(uow, delivery, None, now_ms, status="grading") for _ in range(count)]


async def run_grade(home, request: GradeRequest) -> dict:
    """Grade `request.target` for `request.provider` on behalf of `home`'s world; returns the report kept there.

    The grade runs in `request.world` when given (it must exist: 404 `WORLD_NOT_FOUND`), else in a
    copy of `home`'s account made for it and deleted once the report is kept (or the grade failed).
    """
    if request.world is not None:
        world = await home.lifecycle.find_world(request.world)
        if world is None:
            raise WorldNotFound(request.world)
    else:
        spec = WorldBody(name=f"grade of {request.provider} webhooks for {home.world.id}", ttl_s=GRADE_WORLD_TTL_S)
        world = await home.lifecycle.create(spec, account_of=home.world)
    try:
        async with aiohttp.ClientSession() as session:
            return await Grade(home, home.scope(world), request, session).run()
    finally:
        if request.world is None:
            await home.lifecycle.delete(world.id)
