"""Decimal arithmetic on a client's amounts, at any size a contract lets through, never a 500.

Python's default decimal context keeps 28 significant digits. Past that, a sum or product is
silently rounded, and quantizing one raises `InvalidOperation`. Clients can send more digits than
that, and did, each as a 500: ROZO's amount strings (15 integer digits and 18 decimals), and
Inqud's JSON numbers (up to about 1e308). A provider's amount arithmetic therefore runs in `WIDE`.
Its 400 digits hold any of those amounts, and the products and quotients a fee or a rate makes
of them, to the places an amount is quoted in (at most 18). Over-large amounts then reach the
provider's own limit checks, and are refused there in the provider's words.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, localcontext
from functools import wraps
from typing import ParamSpec, TypeVar

#: 400 digits: 309 integer digits of the largest JSON number the strict reader keeps, plus 18
#: places, with room to spare.
WIDE = Context(prec=400)

P = ParamSpec("P")
R = TypeVar("R")


def wide(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` in the `WIDE` context: its sums and products exact, its quotients to 400 digits, and
    its quantizes never an error."""
    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(WIDE):
            return fn(*args, **kwargs)
    return run
