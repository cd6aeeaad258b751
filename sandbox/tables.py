"""Plain-text tables for the command line: what a person reads, where `--json` is for scripts.

Columns are (header, function of a row); cells are flattened to one line and cut at `width`
characters so a table stays a table in an 80-column terminal log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

Column = tuple[str, Callable[[dict], Any]]


def cell(value: Any, width: int = 48) -> str:
    """One cell: `-` for nothing, `k=v` pairs for a dict, commas for a list, cut to `width`."""
    if value is None or value == "" or value == {} or value == []:
        text = "-"
    elif isinstance(value, dict):
        text = " ".join(f"{k}={v}" for k, v in value.items() if v is not None) or "-"
    elif isinstance(value, (list, tuple)):
        text = ",".join(str(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: Iterable[dict], columns: Sequence[Column], empty: str = "(none)") -> str:
    """The rows under their headers, left-aligned, two spaces apart."""
    grid = [[header for header, _ in columns]]
    grid += [[cell(get(row)) for _, get in columns] for row in rows]
    if len(grid) == 1:
        return empty
    widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in grid)


def pairs(values: dict) -> str:
    """A record as `key  value` lines (for one object, where a table would be one wide row)."""
    width = max((len(k) for k in values), default=0)
    return "\n".join(f"{k.ljust(width)}  {cell(v, 100)}" for k, v in values.items())
