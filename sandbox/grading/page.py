"""A grade as one self-contained HTML page: the inspector's grade page and `sandbox grade --html FILE`.

No external asset: styles are inline, so the file a CI job keeps as an artifact opens anywhere.
Each case row links to its attempts further down the page (`#attempt-<id>`); in the inspector each
attempt also links to its delivery in the control API. Everything shown is escaped.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import quote

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1200px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;
border-bottom:1px solid #e3e6ea}th{background:#f5f6f8;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.passed{background:#dcf5e3;color:#146c2e}.failed{background:#fde0e0;color:#a11}
.not_applicable{background:#eceef1;color:#555}
pre{background:#f5f6f8;padding:8px;overflow:auto;max-height:240px;white-space:pre-wrap;word-break:break-all;margin:4px 0}
.attempt{border:1px solid #e3e6ea;border-radius:6px;padding:8px 12px;margin:8px 0}
.meta{color:#555}a{color:#0b5cad}
"""


def _badge(status: str) -> str:
    label = {"not_applicable": "n/a"}.get(status, status)
    return f'<span class="badge {escape(status)}" data-testid="status">{escape(label)}</span>'


def _pre(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
    return f"<pre>{escape(text or '')}</pre>"


def _token(token: str | None, joiner: str) -> str:
    """The admin token carried on a link (the control API needs it beyond loopback), or nothing."""
    return f"{joiner}admin_token={quote(token, safe='')}" if token else ""


def _attempt(attempt: dict, linked: bool, token: str | None) -> str:
    outcome = f"HTTP {attempt['status']}" if attempt.get("status") is not None else (attempt.get("error") or "no answer")
    faults = ", ".join(attempt.get("faults") or []) or "none"
    link = ""
    if linked:
        href = "/_sandbox/deliveries?event_id=" + quote(attempt["event_id"], safe="") + _token(token, "&")
        link = f' · <a href="{escape(href)}">delivery in the control API</a>'
    return (f'<div class="attempt" id="attempt-{attempt["id"]}" data-testid="attempt">'
            f'<div><strong>{escape(outcome)}</strong> in {attempt.get("duration_ms") or 0:.0f} ms'
            f' <span class="meta">· event {escape(attempt["event_id"])} · trigger {escape(attempt["trigger"])}'
            f' · actions {escape(faults)}{link}</span></div>'
            + (f'<div class="meta">error: {escape(attempt["error"])}</div>' if attempt.get("error") else "")
            + "<details><summary>request headers and body</summary>"
            + _pre(attempt.get("request_headers")) + _pre(attempt.get("request_body"))
            + (f"<div class=\"meta\">signed input</div>{_pre(attempt['signature_input'])}"
               if attempt.get("signature_input") else "")
            + "</details><details><summary>response body</summary>" + _pre(attempt.get("response_body"))
            + "</details></div>")


def render(report: dict, linked: bool = False, token: str | None = None) -> str:
    """The whole page for one report; `linked` adds links into the inspector and control API
    (carrying `token`, the admin token the page was opened with, beyond loopback)."""
    cases = report["cases"]
    counts = {s: sum(1 for c in cases if c["status"] == s) for s in ("passed", "failed", "not_applicable")}
    verdict = "passed" if report["passed"] else "failed"
    rows, sections = [], []
    for case in cases:
        anchors = " ".join(f'<a href="#attempt-{a["id"]}">#{i + 1}</a>' for i, a in enumerate(case["attempts"]))
        rows.append(f'<tr data-testid="case" data-case="{escape(case["name"])}"><td><a href="#case-{escape(case["name"])}">'
                    f'{escape(case["name"])}</a></td><td>{_badge(case["status"])}</td><td>{escape(case["expected"])}</td>'
                    f'<td>{escape(case["observed"])}</td><td>{anchors or "—"}</td></tr>')
        state = "".join(f"<div class=\"meta\">partner view read {i + 1}</div>{_pre(read)}"
                        for i, read in enumerate(case.get("state") or []))
        sections.append(f'<h2 id="case-{escape(case["name"])}">{escape(case["name"])} {_badge(case["status"])}</h2>'
                        f'<div class="meta">expected: {escape(case["expected"])}</div>'
                        f'<div>observed: {escape(case["observed"])}</div>{state}'
                        + "".join(_attempt(a, linked, token) for a in case["attempts"]))
    back = (f'<p><a href="/_sandbox/ui/grades{escape(_token(token, "?"))}">← grades</a> · '
            f'<a href="/_sandbox/ui/{escape(_token(token, "?"))}">inspector</a></p>') if linked else ""
    title = f"Grade {report.get('id', '')}: {report['provider']} → {report['target']}"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>'
            f'{back}<h1>{escape(title)}</h1>'
            f'<p data-testid="verdict">{_badge(verdict)} {counts["passed"]} passed, {counts["failed"]} failed, '
            f'{counts["not_applicable"]} not applicable'
            f'{" · " + escape(report["created_at"]) if report.get("created_at") else ""}</p>'
            f'<table><thead><tr><th>case</th><th>status</th><th>expected</th><th>observed</th><th>attempts</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>{"".join(sections)}</body></html>')


def render_index(grades: list[dict], token: str | None = None) -> str:
    """The inspector's list of kept grades, newest first, each linking to its page."""
    rows = "".join(
        f'<tr data-testid="grade"><td><a href="/_sandbox/ui/grades/{quote(g["id"], safe="")}'
        f'{escape(_token(token, "?"))}">{escape(g["id"])}</a></td>'
        f'<td>{escape(g["provider"])}</td><td>{escape(g["target"])}</td>'
        f'<td>{_badge("passed" if g["passed"] else "failed")}</td>'
        f'<td>{g["counts"].get("passed", 0)} / {g["counts"].get("failed", 0)} / {g["counts"].get("not_applicable", 0)}</td>'
        f'<td>{escape(g.get("created_at") or "")}</td></tr>' for g in grades)
    empty = '<p class="meta">No grades yet: run <code>sandbox grade PROVIDER --target URL</code>.</p>' if not grades else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Grades</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>'
            f'<p><a href="/_sandbox/ui/{escape(_token(token, "?"))}">← inspector</a></p><h1>Grades of partner webhook receivers</h1>{empty}'
            f'<table><thead><tr><th>grade</th><th>provider</th><th>target</th><th>verdict</th>'
            f'<th>passed / failed / n/a</th><th>at</th></tr></thead><tbody>{rows}</tbody></table></body></html>')
