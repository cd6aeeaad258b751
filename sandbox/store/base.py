"""What every table module shares: the JSON encoding of stored documents, a WHERE builder, `Table`.

Table modules hold plain SQL in small typed methods. They reach the database only through the unit
of work they belong to (`self.uow`), so a second backend can run the same methods over its own
connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.jsontext import dumps, loads

if TYPE_CHECKING:
    from sandbox.store.uow import UnitOfWork

#: Stored documents are compact JSON that keeps Unicode as is (홍길동 stays 홍길동 in the database and
#: on the wire); NaN and Infinity are refused, since SQLite's JSON functions cannot read a row that
#: holds them. Table modules import the codec from here.
__all__ = ["Table", "dumps", "loads", "where"]


def where(*conditions: tuple[str, Any]) -> tuple[str, list]:
    """`WHERE a AND b …` from `(clause, value)` pairs, skipping those whose value is None.

    Each clause holds one `?` for its value; a tuple value fills several (`"x IN (?, ?)"`, and `()`
    adds a clause that takes none). No condition left gives an empty string, so the caller's SQL
    reads the same either way.
    """
    clauses, params = [], []
    for clause, value in conditions:
        if value is None:
            continue
        clauses.append(clause)
        params.extend(value if isinstance(value, tuple) else (value,))
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


class Table:
    """One table family's statements, bound to the unit of work that runs them."""

    __slots__ = ("uow",)

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
