"""A grade is sent from a world of its own, signed with the addressed world's secrets, and leaves no trace
but its report; `world` grades inside an existing world and keeps it."""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape

import pytest

from sandbox.cli import main
from tests.grading.receivers import start_partner
from tests.grading.support import NOT_APPLICABLE, PROVIDERS, by_status
from tests.providers.liqx_support import PAYIN
from tests.worlds.support import WorldView, world_view
from tests.worlds.test_delete import rows_of


async def grade_in(view: WorldView, provider: str, secret: str | None, **extra) -> dict:
    """Grade a reference receiver holding `secret` through `view`'s world (X-Sandbox-World); the report."""
    partner = await start_partner(provider, secret)
    try:
        status, report = await view.control_raw("POST", "/grades", {"provider": provider, "target": partner.url,
                                                                   "state_url": partner.state_url, **extra})
    finally:
        await partner.runner.cleanup()
    assert status == 201, report
    return report


async def snapshot(view: WorldView) -> dict:
    """Everything of a world a grade could disturb, as its control API shows it."""
    return {path: await view.control("GET", path) for path in
            ("/intents?limit=100", "/events", "/deliveries", "/faults", "/faults/log", "/clock", "/grades")}


async def world_ids(view: WorldView) -> list[str]:
    return [world["id"] for world in (await view.control("GET", "/worlds"))["data"]]


async def test_a_grade_leaves_the_addressed_worlds_data_exactly_as_before(sandbox):
    """Intents (one pending), deliveries, attempts, a matching fault rule and a pinned clock are untouched; the
    grade's world is gone with every row."""
    view = await world_view(sandbox)
    auth = {"Authorization": f"Bearer {view.key('liqx')}"}
    for ref in ("pending-1", "paid-1"):
        status, created, _ = await view.request("POST", "/liqx/v1/payin-intents", json={**PAYIN, "external_ref": ref},
                                                headers=auth)
        assert status == 201, created
    await view.control("POST", f"/intents/liqx/{created['intent_id']}/transition", {"to": "COMPLETED"})
    await view.settle()
    rule = await view.control("POST", "/faults", {"provider": "liqx", "action": "drop", "times": 1})
    pinned = await view.control("PUT", "/clock", {"time_scale": 0})
    before, worlds = await snapshot(view), await world_ids(view)
    deliveries = before["/deliveries"]["data"]
    assert len(before["/intents?limit=100"]["data"]) == 2 and {"CREATED", "COMPLETED"} == {
        i["status"] for i in before["/intents?limit=100"]["data"]}
    assert deliveries and all(d["attempts"] for d in deliveries) and before["/faults"]["data"][0]["id"] == rule["id"]

    report = await grade_in(view, "liqx", view.credentials("liqx")["webhook_secret"])

    assert report["passed"] is True and by_status(report, "passed") >= {"honest", "duplicate"}
    after = await snapshot(view)
    assert after.pop("/grades")["data"][0]["id"] == report["id"]
    before.pop("/grades")
    assert after == before
    assert after["/faults"]["data"][0]["remaining"] == 1, "the partner's rule was neither applied nor spent"
    assert after["/clock"] == pinned
    grade_world = report["grade_world"]
    assert grade_world["kept"] is False and grade_world["id"] not in (view.id, "default")
    assert await world_ids(view) == worlds
    status, body = await view.control_raw("GET", f"/worlds/{grade_world['id']}")
    assert status == 404 and body["error"]["code"] == "WORLD_NOT_FOUND"
    assert set(rows_of(sandbox.sb.settings.db, grade_world["id"]).values()) == {0}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_every_provider_signs_with_the_addressed_worlds_secret(sandbox, provider):
    """In a world with its own secrets, the reference receiver holding that world's secret passes every
    applicable case, and one holding the default world's secret is refused the honest event."""
    view = await world_view(sandbox)
    own, default = view.credentials(provider).get("webhook_secret"), sandbox.credentials(provider).get("webhook_secret")
    report = await grade_in(view, provider, own)
    assert report["passed"] is True and by_status(report, "failed") == set()
    assert by_status(report, "not_applicable") == NOT_APPLICABLE[provider]
    if provider != "mizu":   # Mizu signs nothing: there is no secret to tell the worlds apart
        assert own and default and own != default
        foreign = await grade_in(view, provider, default, cases=["honest"])
        assert by_status(foreign, "failed") == {"honest"}
        assert foreign["cases"][0]["attempts"][0]["status"] == 401


async def test_a_rotated_secret_still_verifies_during_its_grace(sandbox):
    """The grade's world signs as the addressed world does mid-rotation: with the new and the previous secret."""
    view = await world_view(sandbox)
    previous = view.credentials("liqx")["webhook_secret"]
    rotated = await view.control("POST", "/endpoints/liqx/rotate-secret")
    assert rotated["secret"] != previous
    for secret in (previous, rotated["secret"]):
        report = await grade_in(view, "liqx", secret, cases=["honest", "bad_signature"])
        assert report["passed"] is True, secret


async def test_world_option_grades_inside_that_world_and_keeps_it(sandbox, capsys):
    """`sandbox grade --world ID` signs with that world's secret, keeps its deliveries and report there, and
    the grade page links each attempt to its delivery in that world."""
    view = await world_view(sandbox)
    partner = await start_partner("liqx", view.credentials("liqx")["webhook_secret"])
    try:
        code = await asyncio.to_thread(main, ["grade", "liqx", "--target", partner.url, "--url", sandbox.base_url,
                                              "--world", view.id, "--json", "--case", "honest", "--case", "duplicate"])
    finally:
        await partner.runner.cleanup()
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["passed"] is True
    assert view.id in await world_ids(view)
    kept = (await view.control("GET", "/grades"))["data"]
    report = await view.control("GET", f"/grades/{kept[0]['id']}")
    assert report["grade_world"] == {"id": view.id, "kept": True}
    assert (await sandbox.control("GET", "/grades"))["data"] == []
    attempts = [a for case in report["cases"] for a in case["attempts"]]
    assert len(attempts) == 4
    status, html, _ = await sandbox.request("GET", f"/_sandbox/ui/grades/{report['id']}?world={view.id}")
    assert status == 200
    links = [unescape(href) for href in re.findall(r'href="([^"]*)" data-testid="delivery-link"', html)]
    assert len(links) == len(attempts)
    for attempt, link in zip(attempts, links, strict=True):
        assert f"world={view.id}" in link
        status, deliveries, _ = await sandbox.request("GET", link)
        assert status == 200 and attempt["id"] in [a["id"] for d in deliveries["data"] for a in d["attempts"]]


async def test_an_unknown_world_to_grade_in_is_404(sandbox):
    """Naming a world that does not exist is `WORLD_NOT_FOUND`, and nothing is sent or kept."""
    status, body, _ = await sandbox.request("POST", "/_sandbox/grades", json={
        "provider": "mizu", "target": "http://127.0.0.1:9/hooks", "world": "wld_missing"})
    assert status == 404 and body["error"]["code"] == "WORLD_NOT_FOUND"
    assert (await sandbox.control("GET", "/grades"))["data"] == []


async def test_the_addressed_worlds_inspector_shows_the_grade_with_working_links_to_its_attempts(sandbox):
    """The grade list and page of the addressed world carry it on every link, and every attempt is on the page."""
    view = await world_view(sandbox)
    report = await grade_in(view, "rozo", view.credentials("rozo")["webhook_secret"])
    page_url = f"/_sandbox/ui/grades/{report['id']}?world={view.id}"
    assert report["inspector_url"] == sandbox.base_url + page_url
    status, index, _ = await sandbox.request("GET", f"/_sandbox/ui/grades?world={view.id}")
    assert status == 200 and f'href="{page_url}"' in unescape(index)
    status, html, _ = await sandbox.request("GET", page_url)
    assert status == 200
    attempts = [a for case in report["cases"] for a in case["attempts"]]
    assert attempts
    for attempt in attempts:
        assert f'id="attempt-{attempt["id"]}"' in html and f'href="#attempt-{attempt["id"]}"' in html
        assert attempt["event_id"] in html and attempt["signature_input"] in unescape(html), "the attempt, whole"
    assert 'data-testid="delivery-link"' not in html, "no link into the grade's deleted world"
    assert "deleted after it" in html
    assert f'href="/_sandbox/ui/grades?world={view.id}" data-testid="back-to-grades"' in html
    assert f'href="/_sandbox/ui/?world={view.id}" data-testid="nav-inspector"' in html
    status, _, _ = await sandbox.request("GET", f"/_sandbox/ui/grades/{report['id']}")
    assert status == 404, "the report is kept in the addressed world only"
