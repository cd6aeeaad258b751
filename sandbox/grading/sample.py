"""What the grade needs of a provider: a fresh synthetic intent's webhooks, and what does not apply.

Each provider describes itself with a `GradeProfile` (in its own `grading.py`): how to build the
events a fresh intent of its would emit, in emission order, with the provider's own body shapes
and id formats (so they satisfy its webhook contracts), whether its signature carries a time, and
which cases its published behaviour makes meaningless, with the reason a partner will read.
The core never imports a provider: it reads the profile from the provider registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.ids import Ids


@dataclass(frozen=True, slots=True)
class SampleContext:
    """Inputs for one synthetic intent: ids, sandbox time, base URL, the provider's credentials, its ref."""

    ids: Ids
    now: datetime
    base_url: str
    credentials: Mapping[str, str]
    #: The intent's partner-side reference, tagged with the grade id (`grd_…-honest`).
    external_ref: str


@dataclass(frozen=True, slots=True)
class SampleEvent:
    """One webhook of a synthetic intent, exactly as the provider would emit it."""

    event_id: str
    type: str
    body: dict
    intent_id: str
    external_ref: str | None


@dataclass(frozen=True)
class GradeProfile:
    """A provider's part in grading (SPEC §15)."""

    #: The events of one fresh intent, earliest first (one for single-event providers).
    sample: Callable[[SampleContext], list[SampleEvent]]
    #: Whether the signature covers a time the receiver can check (what `stale_timestamp` needs).
    signs_time: bool
    #: Case name → why the provider's published behaviour makes it meaningless.
    not_applicable: Mapping[str, str] = field(default_factory=dict)
