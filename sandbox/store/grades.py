"""Grades of partner webhook receivers (SPEC §15): each report kept whole, for the API and the inspector."""

from __future__ import annotations

from sandbox.store.base import Table, dumps, loads, where


class Grades(Table):
    """`grades`: one finished report per row; a report's attempts are the attempt rows it copied."""

    __slots__ = ()

    def put(self, report: dict, created_ms: int, finished_ms: int) -> None:
        """Keep a finished grade's report."""
        self.uow.execute("INSERT INTO grades (world, id, provider, target, passed, report, created_ms, finished_ms)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (self.uow.world, report["id"], report["provider"], report["target"], int(report["passed"]), dumps(report),
                          created_ms, finished_ms))

    def get(self, grade_id: str) -> dict | None:
        """One kept report, or None."""
        row = self.uow.one("SELECT report FROM grades WHERE id = ? AND world = ?", (grade_id, self.uow.world))
        return loads(row["report"]) if row else None

    def list(self, provider: str | None, limit: int) -> list[dict]:
        """Kept reports, newest first."""
        clause, params = where(("world = ?", self.uow.world), ("provider = ?", provider))
        rows = self.uow.all(f"SELECT report FROM grades {clause} ORDER BY seq DESC LIMIT ?", (*params, limit))
        return [loads(row["report"]) for row in rows]
