"""Reports: SPEC §15's JSON exactly, JUnit that CI parses with matching counts, a self-contained page;
and `sandbox grade` run against a live server exits with the verdict."""

from __future__ import annotations

import asyncio
import json
import re
from xml.etree import ElementTree

from sandbox.cli import main
from sandbox.grading import report as reports
from tests.grading.receivers import Flaws
from tests.grading.support import grade_partner, partner_for


def junit_counts(xml_text: str) -> tuple[dict, dict]:
    root = ElementTree.fromstring(xml_text)
    suite = root.find("testsuite")
    cases = {case.get("name"): ("failed" if case.find("failure") is not None else
                                "not_applicable" if case.find("skipped") is not None else "passed")
             for case in suite.findall("testcase")}
    return {k: int(suite.get(k)) for k in ("tests", "failures", "skipped")}, cases


async def test_junit_parses_and_its_counts_match_the_json(sandbox):
    """One testcase per case; failures and skips are the JSON's failed and not_applicable cases."""
    report, partner = await grade_partner(sandbox, "inqud", Flaws(accept_any_signature=True), state=False)
    spec = json.loads(reports.to_json(report))
    counts, cases = junit_counts(reports.to_junit(report))
    assert counts == {"tests": len(spec["cases"]),
                      "failures": sum(c["status"] == "failed" for c in spec["cases"]),
                      "skipped": sum(c["status"] == "not_applicable" for c in spec["cases"])}
    assert cases == {c["name"]: c["status"] for c in spec["cases"]}
    assert counts["failures"] == 3 and counts["skipped"] == 1


async def test_json_report_has_exactly_the_spec_members(sandbox):
    """`--json` prints provider, target, passed and cases of name/status/expected/observed/attempts only."""
    report, partner = await grade_partner(sandbox, "mizu")
    spec = json.loads(reports.to_json(report))
    assert set(spec) == {"provider", "target", "passed", "cases"}
    assert all(set(case) == {"name", "status", "expected", "observed", "attempts"} for case in spec["cases"])
    assert {case["status"] for case in spec["cases"]} == {"passed", "not_applicable"}


async def test_cli_exit_code_follows_the_verdict_and_writes_its_reports(sandbox, tmp_path, capsys):
    """Against a live server: 0 and a table for a correct receiver, 1 with JSON/JUnit/HTML for a flawed one."""
    good = await partner_for(sandbox, "liqx")
    bad = await partner_for(sandbox, "liqx", Flaws(ignore_timestamps=True))
    try:
        code = await asyncio.to_thread(main, ["grade", "liqx", "--target", good.url, "--url", sandbox.base_url,
                                              "--state-url", good.state_url])
        table = capsys.readouterr().out
        assert code == 0
        assert "PASSED: 9 passed, 0 failed, 1 not applicable" in table and "n/a   out_of_order" in table
        junit, html = tmp_path / "grade.xml", tmp_path / "grade.html"
        code = await asyncio.to_thread(main, ["grade", "liqx", "--target", bad.url, "--url", sandbox.base_url, "--json",
                                              "--junit", str(junit), "--html", str(html)])
        printed = json.loads(capsys.readouterr().out)
    finally:
        await good.runner.cleanup()
        await bad.runner.cleanup()
    assert code == 1 and printed["passed"] is False
    assert [c["name"] for c in printed["cases"] if c["status"] == "failed"] == ["stale_timestamp"]
    counts, _ = junit_counts(junit.read_text(encoding="utf-8"))
    assert counts["failures"] == 1
    page = html.read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html>") and "stale_timestamp" in page
    assert '<link rel="stylesheet"' not in page and "<script" not in page and "src=" not in page, "self-contained"
    assert all(href == "data:," or href.startswith("#") for href in re.findall(r'href="([^"]*)"', page))


async def test_cli_says_why_when_the_grade_cannot_run(sandbox, capsys):
    """A refused request exits 2 with the server's reason, not a traceback."""
    code = await asyncio.to_thread(main, ["grade", "stripe", "--target", "http://127.0.0.1:1/", "--url",
                                          sandbox.base_url])
    assert code == 2 and "/provider" in capsys.readouterr().err
