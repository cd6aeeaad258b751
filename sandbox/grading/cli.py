"""`sandbox grade PROVIDER --target URL`: grade a partner's webhook receiver from the command line.

The command asks a running sandbox (`--url`, default `$SANDBOX_URL`) to run the grade
(`POST /_sandbox/grades`), prints the report — a table, or SPEC §15's JSON with `--json` — and
writes `--junit FILE` and `--html FILE` for CI. Exit code: 0 when every applicable case passed,
1 when one failed, 2 when the grade could not run.

By default the grade is sent from a world made for it (signed with the default world's secrets)
and deleted afterwards, so it leaves every partner's data as it was. `--world ID` grades inside
that existing world instead: signed with its secrets, its rows and the report kept there.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from sandbox.grading import report as reports
from sandbox.grading.cases import CASES
from sandbox.remote import add_connection_args

#: Seconds to wait for the server's answer: a grade of an 8-second receiver takes about 20.
CALL_TIMEOUT_S = 300


def build(sub) -> None:
    """Add the `grade` command."""
    grade = sub.add_parser(
        "grade", help="grade a partner's webhook receiver",
        description="Send a battery of the provider's webhooks (honest, duplicated, out of order, forged, "
                    "unsigned, stale, tampered, for an unknown intent) to --target and judge each answer. "
                    "Unless --world names a world to grade in, the webhooks are sent from a "
                    "world made for the grade (the default world's credentials and secrets, none of its "
                    "data) and deleted afterwards; the report is kept in the inspector "
                    "(/_sandbox/ui/grades). Exit code 0: every applicable case passed; 1: one failed; "
                    "2: the grade could not run.")
    grade.add_argument("provider", help="whose webhooks to send: liqx, rozo, inqud or mizu")
    grade.add_argument("--target", required=True, help="the partner's webhook endpoint")
    grade.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    grade.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    grade.add_argument("--state-url", metavar="TEMPLATE",
                       help="the partner's view of an intent, e.g. http://localhost:3000/orders/{external_ref}")
    grade.add_argument("--case", action="append", choices=CASES, dest="cases",
                       help="run only this case (repeatable; default: all)")
    # --url, --admin-token, --world and --json (the JSON report instead of the table)
    add_connection_args(grade, world_help=(
        "grade inside this existing world (wld_…; default $SANDBOX_WORLD): signed with its secrets, the "
        "grade's deliveries and report kept there. Without it the grade is sent from a world made for it, "
        "signed with the default world's secrets and deleted afterwards, so no other world's data changes"))


def _post(args: argparse.Namespace, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(args.url.rstrip("/") + "/_sandbox/grades", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    if args.admin_token:
        request.add_header("Authorization", f"Bearer {args.admin_token}")
    if args.world:
        request.add_header("X-Sandbox-World", args.world)
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_S) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def run(args: argparse.Namespace) -> int:
    """Run the grade, print and write the reports; the exit code follows the verdict."""
    body = {"provider": args.provider, "target": args.target}
    if args.cases:
        body["cases"] = list(dict.fromkeys(args.cases))
    if args.state_url:
        body["state_url"] = args.state_url
    if args.world:
        body["world"] = args.world   # grade in it; the header (set in _post) keeps the report there too
    try:
        status, report = _post(args, body)
    except (urllib.error.URLError, OSError) as exc:
        print(f"sandbox grade: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    if status != 201:
        error = report.get("error", {}) if isinstance(report, dict) else {}
        details = "; ".join(f"{d.get('field')}: {d.get('issue')}" for d in error.get("details", []))
        print(f"sandbox grade: HTTP {status}: {error.get('message', report)}" + (f" ({details})" if details else ""),
              file=sys.stderr)
        return 2
    print(reports.to_json(report) if args.json else reports.to_table(report))
    try:
        if args.junit:
            Path(args.junit).write_text(reports.to_junit(report), encoding="utf-8")
        if args.html:
            Path(args.html).write_text(reports.to_html(report), encoding="utf-8")
    except OSError as exc:
        print(f"sandbox grade: cannot write a report: {exc}", file=sys.stderr)
        return 2
    return 0 if report["passed"] else 1
