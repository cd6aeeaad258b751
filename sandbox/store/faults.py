"""Fault rules and the log of applied faults (SPEC §6).

A rule is stored with what it matches on as columns (provider, action, event type, intent,
external ref, method, path, attempt), so finding the rules for a delivery or an API call is an
indexed query, not a scan of every rule's JSON. Rules come back as plain dicts shaped like the
rule as posted; `sandbox.delivery.faults` turns them into models.
"""

from __future__ import annotations

from typing import Any

from sandbox.store.base import Table, dumps, loads

MATCH_COLUMNS = ("event_type", "intent_id", "external_ref", "method", "path")


def _rule(row: Any) -> dict:
    return {"id": row["id"], "provider": row["provider"], "match": {c: row[c] for c in MATCH_COLUMNS},
            "action": row["action"], "params": loads(row["params"]), "times": row["times"],
            "attempt": row["attempt"], "remaining": row["remaining"], "source": row["source"]}


def _in(values: tuple[str, ...]) -> str:
    return f"({', '.join('?' * len(values))})"


class Faults(Table):
    """`faults` (the rules) and `fault_log` (what was applied)."""

    __slots__ = ()

    def add(self, rule: dict, source: str, now_ms: int) -> None:
        """Store a rule (a posted rule's fields, its id set); `times` 0 means until deleted."""
        match = rule.get("match") or {}
        self.uow.execute(
            "INSERT INTO faults (world, id, provider, action, event_type, intent_id, external_ref, method, path, attempt,"
            " params, times, remaining, source, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.uow.world, rule["id"], rule.get("provider"), rule["action"], *(match.get(c) for c in MATCH_COLUMNS),
             rule.get("attempt"), dumps(rule.get("params") or {}), rule["times"], rule["times"] or None, source,
             now_ms))
        self.uow.world_changed()   # other processes' "any API rule here?" caches look again

    def list(self) -> list[dict]:
        """Every rule, oldest first, with `remaining` uses and `source`."""
        return [_rule(row) for row in self.uow.all("SELECT * FROM faults WHERE world = ? ORDER BY seq", (self.uow.world,))]

    def delete(self, rule_id: str) -> bool:
        """Delete one rule; False if there was none with that id."""
        return self.uow.execute("DELETE FROM faults WHERE id = ? AND world = ?", (rule_id, self.uow.world)).rowcount > 0

    def delete_all(self) -> int:
        """Delete every rule; returns how many there were."""
        return self.uow.execute("DELETE FROM faults WHERE world = ?", (self.uow.world,)).rowcount

    def delete_source(self, provider: str, action: str, source: str) -> None:
        """Delete a provider's rules of one action that came from one source."""
        self.uow.execute("DELETE FROM faults WHERE world = ? AND action = ? AND provider = ? AND source = ?",
                         (self.uow.world, action, provider, source))

    def spend(self, rule: dict) -> None:
        """Spend one use of a rule; a rule with no uses left is gone."""
        if rule["remaining"] is None:
            return
        if rule["remaining"] <= 1:
            self.uow.execute("DELETE FROM faults WHERE id = ?", (rule["id"],))
        else:
            self.uow.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (rule["id"],))

    def any(self) -> bool:
        """True if any rule exists (the dispatcher skips rule lookups otherwise)."""
        return self.uow.one("SELECT 1 FROM faults WHERE world = ? LIMIT 1", (self.uow.world,)) is not None

    def any_of(self, actions: tuple[str, ...]) -> bool:
        """True if a rule with one of these actions exists."""
        return self.uow.one(f"SELECT 1 FROM faults WHERE world = ? AND action IN {_in(actions)} LIMIT 1",
                            (self.uow.world, *actions)) is not None

    def worlds_having(self, actions: tuple[str, ...]) -> set[str]:
        """Every world with a rule of one of these actions (read once at start, not on a request path)."""
        return {row["world"] for row in self.uow.all(f"SELECT DISTINCT world FROM faults WHERE action IN {_in(actions)}",
                                                     actions)}

    def for_delivery(self, provider: str, actions: tuple[str, ...], facts: dict, attempt: int | None) -> list[dict]:
        """Rules of these actions for this provider's event (`facts`: event_type, intent_id, external_ref)
        at enqueue time (`attempt` None) or for its Nth attempt, oldest first."""
        rows = self.uow.all(
            f"SELECT * FROM faults WHERE world = ? AND action IN {_in(actions)} AND (provider IS NULL OR provider = ?)"
            " AND attempt IS NOT DISTINCT FROM ? AND (event_type IS NULL OR event_type = ?) AND (intent_id IS NULL OR intent_id = ?)"
            " AND (external_ref IS NULL OR external_ref = ?) ORDER BY seq",
            (self.uow.world, *actions, provider, attempt, facts.get("event_type"), facts.get("intent_id"), facts.get("external_ref")))
        return [_rule(row) for row in rows]

    def for_call(self, provider: str, actions: tuple[str, ...], method: str, path: str) -> list[dict]:
        """Rules of these actions for an API call (method compared case-blind, path without a final `/`;
        an empty method or path matches any)."""
        rows = self.uow.all(
            f"SELECT * FROM faults WHERE world = ? AND action IN {_in(actions)} AND (provider IS NULL OR provider = ?)"
            " AND (coalesce(method, '') = '' OR upper(method) = ?) AND (coalesce(path, '') = '' OR rtrim(path, '/') = ?)"
            " ORDER BY seq",
            (self.uow.world, *actions, provider, method.upper(), path.rstrip("/")))
        return [_rule(row) for row in rows]

    def first(self, provider: str, action: str) -> dict | None:
        """The oldest rule of one action for one provider, or None."""
        row = self.uow.one("SELECT * FROM faults WHERE world = ? AND action = ? AND provider = ? ORDER BY seq LIMIT 1",
                           (self.uow.world, action, provider))
        return _rule(row) if row else None

    def log(self, rule_id: str | None, provider: str | None, intent_id: str | None, target: str, action: str,
            now_ms: int, data: dict) -> None:
        """Record an applied fault."""
        self.uow.execute("INSERT INTO fault_log (world, rule_id, provider, intent_id, target, action, at_ms, data)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (self.uow.world, rule_id, provider, intent_id, target, action, now_ms,
                                                          dumps(data)))

    def read_log(self, limit: int = 100) -> list[dict]:
        """Applied faults, newest first."""
        rows = self.uow.all("SELECT * FROM fault_log WHERE world = ? ORDER BY seq DESC LIMIT ?", (self.uow.world, limit))
        return [{"seq": r["seq"], "provider": r["provider"], "intent_id": r["intent_id"], "at_ms": r["at_ms"],
                 **loads(r["data"])} for r in rows]
