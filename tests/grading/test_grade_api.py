"""The control API keeps grades, refuses bad requests clearly, and the inspector shows each attempt."""

from __future__ import annotations

import re

import pytest

from sandbox.clock import Clock
from tests.grading.support import grade_partner
from tests.support import start_sandbox, stop_sandbox


async def test_grades_are_kept_listed_and_shown_with_their_attempts(sandbox):
    """POST answers the report; GET lists it and reads it back, each attempt whole as the attempt log wrote it."""
    report, partner = await grade_partner(sandbox, "rozo")
    assert report["id"].startswith("grd_") and report["inspector_url"].endswith(f"/_sandbox/ui/grades/{report['id']}")
    listed = await sandbox.control("GET", "/grades")
    assert listed["data"][0]["id"] == report["id"] and listed["data"][0]["passed"] is True
    kept = await sandbox.control("GET", f"/grades/{report['id']}")
    assert kept["cases"] == report["cases"]
    honest = next(c for c in report["cases"] if c["name"] == "honest")
    attempt = honest["attempts"][0]
    assert attempt["status"] == 200 and attempt["trigger"] == "scheduled" and attempt["url"] == partner.url
    assert attempt["request_headers"]["X-Rozo-Signature"].startswith("sha256=") and attempt["signature_input"]
    tag = report["id"] + "-honest"
    assert f'"orderId":"{tag}"' in attempt["request_body"], "the grade's intent is tagged with its id"


async def test_grade_page_links_each_case_to_each_of_its_attempts(sandbox):
    """The inspector's grade page has an anchor per attempt, linked from its case's row."""
    report, partner = await grade_partner(sandbox, "inqud")
    status, html, response = await sandbox.request("GET", f"/_sandbox/ui/grades/{report['id']}")
    assert status == 200 and response.content_type == "text/html"
    for case in report["cases"]:
        assert f'data-case="{case["name"]}"' in html
        for attempt in case["attempts"]:
            assert f'id="attempt-{attempt["id"]}"' in html and f'href="#attempt-{attempt["id"]}"' in html
    status, index, _ = await sandbox.request("GET", "/_sandbox/ui/grades")
    assert status == 200 and f'href="/_sandbox/ui/grades/{report["id"]}"' in index
    assert len(re.findall(r'data-testid="attempt"', html)) == len({a["id"] for c in report["cases"]
                                                                    for a in c["attempts"]})


async def test_bad_grade_requests_are_400_naming_the_field_and_unknown_grades_404(sandbox):
    """Unknown provider, non-http target, unknown case and a bad state template each name their field."""
    cases = [
        ({"provider": "stripe", "target": "http://127.0.0.1:1/"}, "/provider"),
        ({"provider": "liqx", "target": "ftp://example.com/"}, "/target"),
        ({"provider": "liqx", "target": "http://169.254.169.254/latest"}, "/target"),
        ({"provider": "liqx", "target": "http://127.0.0.1:1/", "cases": ["honest", "teleport"]}, "/cases"),
        ({"provider": "liqx", "target": "http://127.0.0.1:1/", "state_url": "http://x/{order}"}, "/state_url"),
        ({"provider": "liqx"}, "/target"),
    ]
    for body, field in cases:
        status, answer, _ = await sandbox.request("POST", "/_sandbox/grades", json=body)
        assert status == 400, (body, answer)
        assert field in [d["field"] for d in answer["error"]["details"]], (body, answer)
    status, answer, _ = await sandbox.request("POST", "/_sandbox/grades", data=b"{nope",
                                              headers={"Content-Type": "application/json"})
    assert status == 400 and answer["error"]["code"] == "MALFORMED_JSON"
    status, answer, _ = await sandbox.request("GET", "/_sandbox/grades/grd_missing")
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"
    status, _, _ = await sandbox.request("GET", "/_sandbox/ui/grades/grd_missing")
    assert status == 404


async def test_an_unreachable_target_fails_every_applicable_case_without_a_500(sandbox):
    """Nothing listening: each applicable case fails with the connection error; the grade still answers."""
    status, report, _ = await sandbox.request("POST", "/_sandbox/grades",
                                              json={"provider": "mizu", "target": "http://127.0.0.1:9/hooks"})
    assert status == 201
    failed = {c["name"] for c in report["cases"] if c["status"] == "failed"}
    assert failed == {"honest", "duplicate", "unknown_fields", "unknown_intent"}
    assert all("Connect" in c["observed"] or "connect" in c["observed"] for c in report["cases"]
               if c["name"] in failed)


async def test_beyond_loopback_grade_pages_carry_the_admin_token_on_their_links(tmp_path):
    """Opened with ?admin_token=, the grade pages' links into the control API (a grade kept in the default
    world links to its deliveries) and the inspector keep working."""
    running = await start_sandbox(tmp_path, clock=Clock(), host="0.0.0.0", admin_token="s3cret")
    try:
        auth = {"Authorization": "Bearer s3cret"}
        status, report, _ = await running.request("POST", "/_sandbox/grades", headers=auth, json={
            "provider": "mizu", "target": "http://127.0.0.1:9/hooks", "cases": ["honest"], "world": "default"})
        assert status == 201
        status, _, _ = await running.request("GET", f"/_sandbox/ui/grades/{report['id']}")
        assert status == 401
        status, html, _ = await running.request("GET", f"/_sandbox/ui/grades/{report['id']}?admin_token=s3cret")
        assert status == 200
        assert "/_sandbox/deliveries?event_id=mizu_evt_" in html and "&amp;admin_token=s3cret" in html
        assert 'href="/_sandbox/ui/?admin_token=s3cret"' in html
        assert 'href="/_sandbox/ui/grades?admin_token=s3cret" data-testid="nav-grades"' in html, "the top bar keeps it"
        status, index, _ = await running.request("GET", "/_sandbox/ui/grades?admin_token=s3cret")
        assert status == 200 and f'/_sandbox/ui/grades/{report["id"]}?admin_token=s3cret' in index
    finally:
        await stop_sandbox(running)


async def test_grading_inside_a_world_leaves_its_rules_and_intents_alone(sandbox):
    """Graded inside an existing world, its posted fault rules are neither applied nor spent, and no intent appears."""
    rule = await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "drop", "times": 1})
    report, _ = await grade_partner(sandbox, "liqx", cases=["honest", "duplicate"], world="default")
    assert report["passed"] is True
    rules = (await sandbox.control("GET", "/faults"))["data"]
    assert [(r["id"], r["remaining"]) for r in rules] == [(rule["id"], 1)]
    assert (await sandbox.control("GET", "/intents?provider=liqx"))["data"] == []


@pytest.mark.parametrize("limit", ["²", "0", "101", "1e3", " 5", "9" * 30])
async def test_grade_list_refuses_a_limit_that_is_not_1_to_100_in_ascii_digits(sandbox, limit):
    """`?limit=` goes through the one query vocabulary: a 400 naming `limit`, never a 500."""
    status, answer, _ = await sandbox.request("GET", f"/_sandbox/grades?limit={limit}")
    assert status == 400, answer
    assert [d["field"] for d in answer["error"]["details"]] == ["limit"]
