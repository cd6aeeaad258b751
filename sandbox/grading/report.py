"""A grade report in the forms a partner's CI reads: a table, SPEC §15's JSON, JUnit XML, HTML.

The JSON is exactly SPEC §15's object — `provider`, `target`, `passed`, and each case's `name`,
`status`, `expected`, `observed` and `attempts` — whatever else the kept report carries (its id,
times, the partner-view reads). JUnit has one testcase per case: a failure is `<failure>`, a case
that does not apply is `<skipped>` with its reason, so CI systems show the grade natively.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

from sandbox.grading import page

CASE_KEYS = ("name", "status", "expected", "observed", "attempts")
MARKS = {"passed": "PASS", "failed": "FAIL", "not_applicable": "n/a"}


def spec_json(report: dict) -> dict:
    """The report reduced to exactly SPEC §15's members."""
    return {"provider": report["provider"], "target": report["target"], "passed": report["passed"],
            "cases": [{key: case[key] for key in CASE_KEYS} for case in report["cases"]]}


def to_json(report: dict) -> str:
    """`--json`: SPEC §15's object, indented."""
    return json.dumps(spec_json(report), ensure_ascii=False, indent=2)


def counts(report: dict) -> dict[str, int]:
    """How many cases passed, failed and did not apply."""
    return {status: sum(1 for c in report["cases"] if c["status"] == status) for status in MARKS}


def to_table(report: dict) -> str:
    """The default output: one line per case and the verdict, readable in a CI log."""
    width = max(len(c["name"]) for c in report["cases"])
    lines = [f"Grade {report.get('id', '')}: {report['provider']} webhooks → {report['target']}", ""]
    for case in report["cases"]:
        lines.append(f"  {MARKS[case['status']]:<4}  {case['name']:<{width}}  {case['observed']}")
        if case["status"] == "failed":
            lines.append(f"  {'':<4}  {'':<{width}}  expected: {case['expected']}")
    found = counts(report)
    lines += ["", f"{'PASSED' if report['passed'] else 'FAILED'}: {found['passed']} passed, {found['failed']} failed, "
              f"{found['not_applicable']} not applicable"]
    if report.get("inspector_url"):
        lines.append(f"Attempts: {report['inspector_url']}")
    return "\n".join(lines)


def to_junit(report: dict) -> str:
    """JUnit XML: one testsuite, one testcase per case (failure → <failure>, n/a → <skipped>)."""
    found = counts(report)
    suite = ElementTree.Element("testsuite", {
        "name": f"webhook-grade.{report['provider']}", "tests": str(len(report["cases"])),
        "failures": str(found["failed"]), "errors": "0", "skipped": str(found["not_applicable"]),
        "timestamp": report.get("created_at", ""),
    })
    total = 0.0
    for case in report["cases"]:
        seconds = sum((a.get("duration_ms") or 0) for a in case["attempts"]) / 1000
        total += seconds
        element = ElementTree.SubElement(suite, "testcase", {
            "classname": f"webhook-grade.{report['provider']}", "name": case["name"], "time": f"{seconds:.3f}"})
        if case["status"] == "failed":
            failure = ElementTree.SubElement(element, "failure", {"message": case["observed"][:500]})
            failure.text = f"expected: {case['expected']}\nobserved: {case['observed']}"
        elif case["status"] == "not_applicable":
            ElementTree.SubElement(element, "skipped", {"message": case["observed"][:500]})
        out = ElementTree.SubElement(element, "system-out")
        out.text = "\n".join(f"{a['trigger']} {','.join(a.get('faults') or [])}: "
                             f"{a['status'] if a.get('status') is not None else a.get('error')}"
                             f" in {a.get('duration_ms') or 0:.0f} ms" for a in case["attempts"])
    suite.set("time", f"{total:.3f}")
    suites = ElementTree.Element("testsuites", {"tests": suite.get("tests"), "failures": suite.get("failures"),
                                                "skipped": suite.get("skipped")})
    suites.append(suite)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)


def to_html(report: dict) -> str:
    """`--html`: the self-contained page (the inspector's grade page with its styles inlined)."""
    return page.export(report)
