"""The grade's cases (SPEC §15): what each sends, what passes, and when a case does not apply.

A case is judged only on the receiver's answers (and, with a state URL, on the partner's own view
of the intent). Everything here is plain data and small pure functions; `runner.py` sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Every case, in report order.
CASES = ("honest", "duplicate", "out_of_order", "unknown_fields", "bad_signature", "missing_signature",
         "stale_timestamp", "tampered_body", "unknown_intent", "slow_ack")
#: Cases whose event carries a forged, missing or mismatched signature: the receiver must refuse them.
REJECTED = ("bad_signature", "missing_signature", "stale_timestamp", "tampered_body")
#: The fault action each single-send case applies to its event (the dispatcher's own actions).
ACTIONS = {"bad_signature": ["bad_signature"], "missing_signature": ["missing_signature"],
           "stale_timestamp": ["stale_timestamp"], "tampered_body": ["tampered_body"],
           "unknown_fields": ["unknown_fields"]}

EXPECTED = {
    "honest": "2xx within 10 s",
    "duplicate": "2xx to each of the 3 deliveries of one event",
    "out_of_order": "2xx to both events, the later one first",
    "unknown_fields": "2xx",
    "bad_signature": "4xx (never 2xx, never 5xx)",
    "missing_signature": "4xx",
    "stale_timestamp": "4xx",
    "tampered_body": "4xx",
    "unknown_intent": "2xx or 4xx, never 5xx or a timeout",
    "slow_ack": "every answer within 5 s",
}
#: What the state URL adds to a case's expectation.
EXPECTED_STATE = {
    "duplicate": "; the partner's view after the copies equals the view after the first delivery",
    "out_of_order": "; the earlier event, arriving last, leaves the partner's view as the later one set it",
    **{name: "; the partner's view is unchanged" for name in REJECTED},
}

#: Seconds: an honest event must be answered within this (and it bounds every attempt).
HONEST_TIMEOUT_S = 10.0
#: Seconds: every answer of the grade within this, or `slow_ack` fails.
SLOW_ACK_S = 5.0


@dataclass(slots=True)
class Verdict:
    """One case's result as the report shows it."""

    name: str
    status: str                      # passed | failed | not_applicable
    expected: str
    observed: str
    attempts: list[dict] = field(default_factory=list)
    state: list[dict] = field(default_factory=list)

    def as_dict(self, with_state: bool = True) -> dict:
        """The SPEC §15 case object; `state` (the partner's view reads) only when a state URL was given."""
        out = {"name": self.name, "status": self.status, "expected": self.expected, "observed": self.observed,
               "attempts": self.attempts}
        if with_state and self.state:
            out["state"] = self.state
        return out


def answer(record: dict) -> str:
    """One attempt in words: `HTTP 200 in 12 ms`, or the error."""
    if record.get("status") is None:
        return record.get("error") or "no answer"
    return f"HTTP {record['status']} in {record.get('duration_ms', 0):.0f} ms"


def is_2xx(record: dict) -> bool:
    status = record.get("status")
    return status is not None and 200 <= status < 300


def is_4xx(record: dict) -> bool:
    status = record.get("status")
    return status is not None and 400 <= status < 500


def judge_answers(name: str, records: list[dict]) -> bool:
    """Whether the receiver's answers satisfy the case (the state comparison is judged apart)."""
    if name in REJECTED:
        return all(is_4xx(r) for r in records)
    if name == "unknown_intent":
        return all(is_2xx(r) or is_4xx(r) for r in records)
    return bool(records) and all(is_2xx(r) for r in records)


def judge_slow_ack(attempts: list[dict]) -> tuple[bool, str, list[dict]]:
    """Every answer within 5 s: a timed-out attempt or a slower answer fails; returns the offenders."""
    slow = [a for a in attempts
            if (a.get("error") or "").startswith("timeout") or (a.get("duration_ms") or 0) > SLOW_ACK_S * 1000]
    if not attempts:
        return True, "no attempts were made", []
    slowest = max(attempts, key=lambda a: a.get("duration_ms") or 0)
    if slow:
        return False, f"{len(slow)} of {len(attempts)} answers took longer than {SLOW_ACK_S:g} s " \
                      f"(slowest: {answer_of_row(slowest)})", slow
    return True, f"all {len(attempts)} answers within {SLOW_ACK_S:g} s (slowest {slowest.get('duration_ms') or 0:.0f} ms)", []


def answer_of_row(row: dict) -> str:
    """`answer` for a stored attempt row (its status and error columns)."""
    return answer({"status": row.get("status"), "error": row.get("error"), "duration_ms": row.get("duration_ms") or 0})
