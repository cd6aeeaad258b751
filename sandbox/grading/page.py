"""The grade pages: the inspector's grade list and grade page, and the file `sandbox grade --html FILE` writes.

All three are Jinja2 templates in `grading/templates/`, rendered by the one environment of
`sandbox.web.render` (autoescape on): the inspector's pages extend the site layout and load the
inspector's stylesheet; the export extends the base layout with both stylesheets inlined, so the
file a CI job keeps as an artifact opens anywhere, with no link or script. Both share the report
macro (`grading/report.html`). This module only prepares what the templates show — counts,
outcome words, pretty bodies, anchors and links carrying the admin token and the page's world —
and builds no markup.

A report holds every attempt whole (headers, bodies, signed input, answer), so its page needs
nothing else: a grade's own world is deleted after the grade, and its attempts live on in the
report, each with an anchor the case table links to. Only a grade run in a kept world (`world`
in the request) also links each attempt to its delivery in that world's control API.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2

from sandbox.control.ui import STATIC as INSPECTOR_STATIC
from sandbox.web.render import STATIC as SHARED_STATIC
from sandbox.web.render import make_environment
from sandbox.worlds import DEFAULT

TEMPLATES = Path(__file__).parent / "templates"
#: What the exported file inlines: the pages' own stylesheets, in the order the inspector loads them.
STYLESHEETS = (SHARED_STATIC / "base.css", INSPECTOR_STATIC / "inspector.css")
STATUSES = ("passed", "failed", "not_applicable")


def _query(token: str | None, world: str | None) -> dict:
    return {k: v for k, v in (("admin_token", token), ("world", world if world != DEFAULT else None)) if v}


def page_query(token: str | None, world: str | None) -> str:
    """`?admin_token=…&world=…` for links the page makes, or '': the admin token (the control API needs it
    beyond loopback) and the page's world when it is not the default one, so a link stays in that world."""
    query = _query(token, world)
    return "?" + urlencode(query) if query else ""


def _text(value) -> str:
    """A body or partner-view read as readable text: strings as they are, anything else as indented JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


def _attempt(attempt: dict, delivery_world: str | None, token: str | None) -> dict:
    status = attempt.get("status")
    view = {
        "id": attempt["id"], "event_id": attempt["event_id"], "trigger": attempt["trigger"],
        "outcome": f"HTTP {status}" if status is not None else (attempt.get("error") or "no answer"),
        "tone": "ok" if status is not None and 200 <= status < 300 else "bad",
        "duration": f"{attempt.get('duration_ms') or 0:.0f}",
        "faults": ", ".join(attempt.get("faults") or []) or "none",
        "error": attempt.get("error"),
        "headers": list((attempt.get("request_headers") or {}).items()),
        "request_body": _text(attempt.get("request_body")),
        "signature_input": _text(attempt.get("signature_input")),
        "response_body": _text(attempt.get("response_body")),
        "delivery_url": None,
    }
    if delivery_world is not None:
        query = {"event_id": attempt["event_id"], **_query(token, delivery_world)}
        view["delivery_url"] = "/_sandbox/deliveries?" + urlencode(query)
    return view


def _sent_from(report: dict) -> dict:
    """Where the grade's webhooks were sent from; a report from before grades had worlds of their own
    was sent from the default world, which keeps its rows."""
    return report.get("grade_world") or {"id": DEFAULT, "kept": True}


def report_view(report: dict, *, linked: bool, token: str | None = None) -> dict:
    """What the report macro shows of one report; `linked` adds each attempt's link to its delivery in the
    control API when the world it was sent from was kept (carrying `token`, the page's admin token)."""
    sent_from = _sent_from(report)
    delivery_world = sent_from["id"] if linked and sent_from["kept"] else None
    cases = []
    for case in report["cases"]:
        anchor = "case-" + case["name"]
        cases.append({"name": case["name"], "status": case["status"], "expected": case["expected"],
                      "observed": case["observed"], "anchor": anchor, "href": "#" + quote(anchor, safe=""),
                      "state": [_text(read) for read in case.get("state") or []],
                      "attempts": [_attempt(a, delivery_world, token) for a in case["attempts"]]})
    return {
        "title": f"Grade {report.get('id', '')}: {report['provider']} → {report['target']}",
        "verdict": "passed" if report["passed"] else "failed",
        "counts": {s: sum(1 for c in report["cases"] if c["status"] == s) for s in STATUSES},
        "created_at": report.get("created_at"), "cases": cases,
        "sent_from": (f"Sent from world {sent_from['id']}, which keeps the grade's deliveries."
                      if sent_from["kept"] else
                      "Sent from a world made for this grade and deleted after it: every attempt is kept "
                      "whole in this report."),
    }


def grade_context(report: dict, token: str | None, world: str) -> dict:
    """The inspector's grade page in `world` (the world that keeps the report)."""
    return {"view": report_view(report, linked=True, token=token), "admin_query": page_query(token, world),
            "current": "grades"}


def index_context(grades: list[dict], token: str | None, world: str) -> dict:
    """The inspector's list of `world`'s kept grades (summaries from `records.list_grades`), newest first."""
    query = page_query(token, world)
    rows = [{"id": g["id"], "provider": g["provider"], "target": g["target"],
             "verdict": "passed" if g["passed"] else "failed", "created_at": g.get("created_at") or "",
             "counts": {s: g["counts"].get(s, 0) for s in STATUSES},
             "href": f"/_sandbox/ui/grades/{quote(g['id'], safe='')}{query}"} for g in grades]
    return {"grades": rows, "admin_query": query, "current": "grades"}


@functools.cache
def _export_environment() -> jinja2.Environment:
    """The page environment outside the server (the CLI has no application), with the grade templates."""
    return make_environment({"grading": TEMPLATES})


def export(report: dict) -> str:
    """`--html`: the self-contained page of one report — no link into a server, no external file."""
    styles = "\n".join(path.read_text(encoding="utf-8") for path in STYLESHEETS)
    template = _export_environment().get_template("grading/export.html")
    return template.render(view=report_view(report, linked=False), styles=styles)
