"""Helpers for grading tests: run a grade against a partner receiver and read the verdict."""

from __future__ import annotations

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
