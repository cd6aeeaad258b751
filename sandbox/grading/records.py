"""Reading and keeping grades through the store's unit of work (the SQL is in `sandbox.store.grades`).

Each function is a unit of work's body, run by `Store.commit` or `Store.read`.
"""

from __future__ import annotations

from sandbox.store import UnitOfWork


def put_grade(uow: UnitOfWork, report: dict, created_ms: int, finished_ms: int) -> None:
    """Keep a finished grade's report."""
    uow.grades.put(report, created_ms, finished_ms)


def get_grade(uow: UnitOfWork, grade_id: str) -> dict | None:
    """One kept report, or None."""
    return uow.grades.get(grade_id)


def list_grades(uow: UnitOfWork, provider: str | None, limit: int) -> list[dict]:
    """Kept grades, newest first, as summaries: id, provider, target, verdict, time and counts."""
    out = []
    for report in uow.grades.list(provider, limit):
        counts: dict[str, int] = {}
        for case in report["cases"]:
            counts[case["status"]] = counts.get(case["status"], 0) + 1
        out.append({"id": report["id"], "provider": report["provider"], "target": report["target"],
                    "passed": report["passed"], "created_at": report.get("created_at"), "counts": counts})
    return out


def attempts_of(uow: UnitOfWork, delivery_ids: list[int]) -> list[dict]:
    """The attempt rows of these deliveries, in the order they were made."""
    rows = [attempt for delivery in delivery_ids for attempt in uow.attempts.of_delivery(delivery)]
    return sorted(rows, key=lambda a: a["id"])
