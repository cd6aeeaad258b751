"""Helpers for grading tests: run a grade against a partner receiver and read the verdict, or keep a sample report."""

from __future__ import annotations

from sandbox.grading.records import put_grade
from tests.grading.receivers import Flaws, PartnerReceiver, start_partner

PROVIDERS = ("liqx", "rozo", "inqud", "mizu")
#: The cases each provider's published behaviour makes meaningless.
NOT_APPLICABLE = {
    "liqx": {"out_of_order"},
    "rozo": set(),
    "inqud": {"stale_timestamp"},
    "mizu": {"out_of_order", "bad_signature", "missing_signature", "stale_timestamp", "tampered_body"},
}


async def partner_for(sandbox, provider: str, flaws: Flaws | None = None) -> PartnerReceiver:
    """A partner receiver holding the provider's current webhook secret."""
    secrets = sandbox.sb.endpoint(provider)[1]
    return await start_partner(provider, secrets[0] if secrets else None, flaws)


async def grade(sandbox, provider: str, partner: PartnerReceiver, *, state: bool = True, **extra) -> dict:
    """POST /_sandbox/grades and return the report (asserting 201)."""
    body = {"provider": provider, "target": partner.url, **extra}
    if state:
        body["state_url"] = partner.state_url
    status, report, _ = await sandbox.request("POST", "/_sandbox/grades", json=body)
    assert status == 201, report
    return report


def by_status(report: dict, status: str) -> set[str]:
    """Names of the cases with this status."""
    return {case["name"] for case in report["cases"] if case["status"] == status}


async def grade_partner(sandbox, provider: str, flaws: Flaws | None = None, *, state: bool = True,
                        **extra) -> tuple[dict, PartnerReceiver]:
    """Start a partner receiver (with `flaws`), grade it, stop it; the report and the receiver."""
    partner = await partner_for(sandbox, provider, flaws)
    try:
        return await grade(sandbox, provider, partner, state=state, **extra), partner
    finally:
        await partner.runner.cleanup()


def sample_report(grade_id: str, case_name: str = "honest") -> dict:
    """A finished grade's report as the runner keeps it: one failed case with one attempt, one n/a case."""
    attempt = {"id": 41, "event_id": "evt_grade_1", "trigger": "grade", "status": 500, "error": None,
               "duration_ms": 12.4, "faults": ["duplicate"], "request_headers": {"Content-Type": "application/json"},
               "request_body": '{"title":"<b>bold</b>"}', "signature_input": "t=1.{}", "response_body": "oops"}
    return {"id": grade_id, "provider": "liqx", "target": "http://127.0.0.1:9/hooks", "passed": False,
            "created_at": "2026-01-01T00:00:00Z", "cases": [
                {"name": case_name, "status": "failed", "expected": "a 2xx answer", "observed": "HTTP 500 in 12 ms",
                 "attempts": [attempt], "state": [{"status": "<i>paid</i>"}]},
                {"name": "out_of_order", "status": "not_applicable", "expected": "-", "observed": "n/a here",
                 "attempts": []}]}


async def kept_grade(sandbox, grade_id: str, case_name: str = "honest") -> dict:
    """Keep a report through the store, as a finished grade does, and return it."""
    report = sample_report(grade_id, case_name)
    now = sandbox.sb.clock.now_ms()
    await sandbox.sb.store.commit(put_grade, report, now, now)
    return report
