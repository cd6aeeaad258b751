"""A bounded Schemathesis run over an OpenAPI document, collecting figures instead of stopping at the first failure.

Each operation is fuzzed with Hypothesis under a fixed seed, first with data that fits the
schema (positive) and then with data that does not (negative), `examples` cases each. Every answer
is checked for a 5xx and against the response schema the document gives it; the figures
(operations, requests, 5xx, schema violations) are returned so the test can report them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from schemathesis import GenerationMode

try:  # where the check lives depends on the Schemathesis release pip resolves beside jsonschema-rs
    from schemathesis.specs.openapi.checks import response_schema_conformance
except ImportError:  # pragma: no cover
    from schemathesis.checks import response_schema_conformance

SEED = 20261122


@dataclass
class Figures:
    """What a run did and found."""

    operations: int = 0
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    schema_violations: list[str] = field(default_factory=list)
    not_generated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.operations} operations, {self.requests} requests, {len(self.server_errors)} 5xx, "
                f"{len(self.schema_violations)} schema violations")


def pinned(document: dict, values: dict[str, str]) -> dict:
    """A copy of `document` whose path parameters named in `values` take only that value when the
    case is positive (negative cases still send others): a live object's id, so the fuzzed bodies
    reach the handler behind it instead of its 404."""
    document = copy.deepcopy(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                if parameter["in"] == "path" and parameter["name"] in values:
                    parameter["schema"] = {"type": "string", "enum": [values[parameter["name"]]]}
    return document


def fuzz(document: dict, base_url: str, headers_for: Callable[[str], dict], examples: int,
         skip: Callable[[str, str], bool] = lambda method, path: False,
         first: Callable[[str, str], bool] = lambda method, path: False) -> Figures:
    """Fuzz every operation of `document` against `base_url` (blocking: run it in a thread).

    Operations for which `first` holds go first, the others keep the document's order: a reset
    fuzzed before them would delete the live objects `pinned` named."""
    schema = schemathesis.openapi.from_dict(document)
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: not first(operation.method.upper(), operation.path))
    figures = Figures()
    session = requests.Session()
    try:
        for operation in operations:
            if skip(operation.method.upper(), operation.path):
                continue
            figures.operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _run(operation, mode, base_url, headers_for(operation.path), examples, session, figures)
    finally:
        session.close()
    return figures


def _run(operation, mode, base_url: str, headers: dict, examples: int, session, figures: Figures) -> None:
    label = f"{operation.method.upper()} {operation.path} ({mode.value})"

    @hypothesis.seed(SEED)
    @hypothesis.settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                         suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def one(case) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=15)
        figures.requests += 1
        where = f"{label}: {response.request.method} {response.request.url} -> {response.status_code}"
        if response.status_code >= 500:
            figures.server_errors.append(f"{where} {response.text[:300]}")
            return
        try:
            case.validate_response(response, checks=[response_schema_conformance])
        except (Exception, BaseExceptionGroup) as exc:  # a failed check (a `FailureGroup`): record it, keep fuzzing
            reasons = " | ".join(str(e) for e in getattr(exc, "exceptions", (exc,)))
            figures.schema_violations.append(f"{where}: {reasons[:500]}")

    try:
        one()
    except (hypothesis.errors.Unsatisfiable, hypothesis.errors.FailedHealthCheck) as exc:
        figures.not_generated.append(f"{label}: {type(exc).__name__}")
