"""A correct receiver passes every applicable case; each flawed one fails exactly what its flaw implies."""

from __future__ import annotations

import pytest

from sandbox.grading.cases import CASES
from tests.grading.receivers import Flaws
from tests.grading.support import NOT_APPLICABLE, PROVIDERS, by_status, grade_partner

SIGNATURE_CASES = {"bad_signature", "missing_signature", "stale_timestamp", "tampered_body"}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reference_receiver_passes_every_applicable_case(sandbox, provider):
    """Verifying, deduping and state-ordering receiver: every case passes or is n/a for the documented reason."""
    report, partner = await grade_partner(sandbox, provider)
    assert [case["name"] for case in report["cases"]] == list(CASES)
    assert report["passed"] is True
    assert by_status(report, "failed") == set()
    assert by_status(report, "not_applicable") == NOT_APPLICABLE[provider]
    for case in report["cases"]:
        if case["status"] == "not_applicable":
            assert case["observed"] and case["attempts"] == []
        elif case["name"] != "slow_ack":
            assert case["attempts"], case["name"]
    assert partner.hits == sum(len(c["attempts"]) for c in report["cases"] if c["name"] != "slow_ack")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_receiver_accepting_any_signature_fails_the_signature_cases(sandbox, provider):
    """Accepting forged, unsigned, stale and tampered webhooks fails exactly the applicable signature cases."""
    report, partner = await grade_partner(sandbox, provider, Flaws(accept_any_signature=True), state=False)
    assert by_status(report, "failed") == SIGNATURE_CASES - NOT_APPLICABLE[provider]
    assert report["passed"] is (provider == "mizu")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_receiver_answering_500_to_a_duplicate_fails_only_duplicate(sandbox, provider):
    """A 500 for an event id already seen fails `duplicate`, and nothing else."""
    report, partner = await grade_partner(sandbox, provider, Flaws(fail_duplicates=True), state=False)
    assert by_status(report, "failed") == {"duplicate"}
    duplicate = next(c for c in report["cases"] if c["name"] == "duplicate")
    assert [a["status"] for a in duplicate["attempts"]] == [200, 500, 500]
    assert [a["trigger"] for a in duplicate["attempts"]] == ["scheduled", "duplicate", "duplicate"]
    assert len({a["event_id"] for a in duplicate["attempts"]}) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_receiver_ignoring_timestamps_fails_only_stale_timestamp(sandbox, provider):
    """Checking the HMAC but not its time fails `stale_timestamp` where the provider signs a time."""
    report, partner = await grade_partner(sandbox, provider, Flaws(ignore_timestamps=True), state=False)
    expected = {"stale_timestamp"} - NOT_APPLICABLE[provider]
    assert by_status(report, "failed") == expected
    assert report["passed"] is (not expected)


async def test_receiver_taking_8_seconds_fails_only_slow_ack(sandbox):
    """An 8 s answer is within the honest 10 s but beyond 5 s: only `slow_ack` fails (real time, once)."""
    report, partner = await grade_partner(sandbox, "liqx", Flaws(delay_s=8.0), state=False)
    assert by_status(report, "failed") == {"slow_ack"}
    slow = next(c for c in report["cases"] if c["name"] == "slow_ack")
    assert slow["attempts"] and all(a["duration_ms"] > 5000 for a in slow["attempts"])
    honest = next(c for c in report["cases"] if c["name"] == "honest")
    assert honest["status"] == "passed" and 7500 < honest["attempts"][0]["duration_ms"] < 10000
