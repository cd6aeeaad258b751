"""Scenarios as data: `scenarios/*.toml`, each a state path plus webhook fault rules (SPEC §6).

A scenario is chosen at creation (`X-Sandbox-Scenario`, or LIQX's `scenario` field). Its fault
rules are stored as ordinary rules scoped to the new intent, so scenario faults, posted faults
and receiver faults all travel one path and show in the same timeline. The state part is read by
the provider: `expire_after_s`, `outcome` after the session opens, and provider-specific `params`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from sandbox import DATA_DIR
from sandbox.delivery.faults import FaultRule

DEFAULT_DIR = DATA_DIR / "scenarios"


class Outcome(BaseModel):
    """A transition the sandbox drives by itself, `after_s` sandbox seconds after `trigger`."""

    model_config = ConfigDict(extra="forbid")
    trigger: str = "session_opened"   # session_opened | created
    after_s: float = Field(ge=0)
    to: str                           # neutral outcome: succeed | fail | expire


class Scenario(BaseModel):
    """One scenario file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    observe: str = ""                 # what a partner should observe, for the README and the inspector
    providers: list[str] | None = None
    expire_after_s: float | None = Field(None, gt=0)
    outcome: Outcome | None = None
    faults: list[FaultRule] = Field(default_factory=list)
    params: dict = Field(default_factory=dict)

    def applies_to(self, provider: str) -> bool:
        return self.providers is None or provider in self.providers


class UnknownScenario(KeyError):
    """No scenario file has that name (or it is not for that provider)."""


class Scenarios:
    """Every scenario file, loaded and validated at start."""

    def __init__(self, root: Path = DEFAULT_DIR) -> None:
        self.root = Path(root)
        self._by_name: dict[str, Scenario] = {}
        for path in sorted(self.root.glob("*.toml")):
            with open(path, "rb") as handle:
                scenario = Scenario.model_validate(tomllib.load(handle))
            if scenario.name in self._by_name:
                raise ValueError(f"scenario {scenario.name!r} is defined twice ({path.name})")
            self._by_name[scenario.name] = scenario

    def names(self, provider: str | None = None) -> list[str]:
        return sorted(n for n, s in self._by_name.items() if provider is None or s.applies_to(provider))

    def get(self, name: str, provider: str) -> Scenario:
        scenario = self._by_name.get(name)
        if scenario is None or not scenario.applies_to(provider):
            raise UnknownScenario(name)
        return scenario

    def all(self) -> list[Scenario]:
        return [self._by_name[n] for n in sorted(self._by_name)]


def combine(scenarios: list[Scenario]) -> Scenario | None:
    """Several scenarios chosen at once (LIQX's `scenario` field plus a header) act as one."""
    chosen = [s for s in scenarios if s is not None]
    if not chosen:
        return None
    if len(chosen) == 1:
        return chosen[0]
    return Scenario(
        name="+".join(s.name for s in chosen),
        description="; ".join(s.description for s in chosen),
        expire_after_s=next((s.expire_after_s for s in chosen if s.expire_after_s), None),
        outcome=next((s.outcome for s in chosen if s.outcome), None),
        faults=[rule for s in chosen for rule in s.faults],
        params={k: v for s in chosen for k, v in s.params.items()},
    )
