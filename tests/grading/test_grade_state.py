"""`state_url`: the partner's own view decides duplicate, out-of-order and rejection cases too."""

from __future__ import annotations

from tests.grading.receivers import Flaws
from tests.grading.support import by_status, grade, grade_partner, partner_for


async def test_applying_a_duplicate_twice_fails_duplicate_only_when_the_view_is_read(sandbox):
    """Answering 200 but crediting a repeat again passes on answers alone and fails once the view is compared."""
    partner = await partner_for(sandbox, "liqx", Flaws(apply_duplicates=True))
    try:
        blind = await grade(sandbox, "liqx", partner, state=False)
        seeing = await grade(sandbox, "liqx", partner)
    finally:
        await partner.runner.cleanup()
    assert blind["passed"] is True
    assert by_status(seeing, "failed") == {"duplicate"}
    duplicate = next(c for c in seeing["cases"] if c["name"] == "duplicate")
    assert "changed the partner's view" in duplicate["observed"]
    assert [read["body"]["credits"] for read in duplicate["state"]] == [1, 3]


async def test_applying_a_forged_webhook_before_refusing_it_fails_the_rejection_cases(sandbox):
    """A 401 is not enough when the forged event already changed the order: every rejection case fails."""
    report, partner = await grade_partner(sandbox, "rozo", Flaws(apply_before_verifying=True))
    assert by_status(report, "failed") >= {"bad_signature", "missing_signature", "stale_timestamp", "tampered_body"}
    forged = next(c for c in report["cases"] if c["name"] == "bad_signature")
    assert forged["attempts"][0]["status"] == 401
    assert forged["state"][0]["status"] == 404 and forged["state"][1]["status"] == 200


async def test_last_write_wins_fails_out_of_order_when_the_view_is_read(sandbox):
    """Letting the earlier event overwrite the later state rolls the view back: `out_of_order` fails."""
    report, partner = await grade_partner(sandbox, "inqud", Flaws(last_write_wins=True), cases=["out_of_order"])
    assert [c["name"] for c in report["cases"]] == ["out_of_order"]
    case = report["cases"][0]
    assert case["status"] == "failed" and "rolled the partner's view back" in case["observed"]
    assert [read["body"]["status"] for read in case["state"]] == ["SUCCESS", "PENDING_PAYMENT"]


async def test_an_unreadable_view_fails_the_cases_that_compare_it(sandbox):
    """A state URL that answers nothing fails the compared cases with the reason, never passes them silently."""
    report, _ = await grade_partner(sandbox, "liqx", state=False, cases=["duplicate", "honest"],
                                    state_url="http://127.0.0.1:9/orders/{external_ref}")
    assert by_status(report, "failed") == {"duplicate"}
    duplicate = next(c for c in report["cases"] if c["name"] == "duplicate")
    assert "could not be read" in duplicate["observed"]
