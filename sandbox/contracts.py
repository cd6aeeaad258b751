"""JSON Schema contracts: loaded from each provider's contracts folder and compiled once (SPEC §7).

Layout: one folder per provider (`contracts/<provider>/`, or wherever a provider keeps its own)
holding `<kind>/<name>.schema.json`, kinds `requests`, `responses`, `webhooks` and `browser`.
Validators are built once, as stripe-mock does, because compiling a schema per request would cost
more than the request itself.

Each contract is compiled twice: by `jsonschema_rs` (Rust, formats checked) to decide whether an
instance passes — the hot path, run on every request and webhook body — and by `jsonschema` to
word the issues of one that fails, so error details keep their shape. An instance passes only if
the Rust validator accepts it; where the two disagree on a rejected one, the Rust validator's own
errors are reported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from sandbox import DATA_DIR

KINDS = ("requests", "responses", "webhooks", "browser")
SUFFIX = ".schema.json"
DEFAULT_DIR = DATA_DIR / "contracts"


_CACHE: dict[Path, tuple[tuple, dict]] = {}


class UnknownContract(KeyError):
    """No contract has that provider, kind and name."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One violation: a JSON pointer to the offending field and what is wrong with it."""

    field: str
    issue: str

    def as_dict(self) -> dict:
        return {"field": self.field, "issue": self.issue}


def _pointer(path) -> str:
    return "/" + "/".join(str(part) for part in path) if path else "/"


def _compiled(folder: Path) -> dict[tuple[str, str], tuple[dict, Draft202012Validator, jsonschema_rs.Draft202012Validator]]:
    """`{(kind, name): (schema, validator, fast validator)}` of one provider folder, cached by file times."""
    folder = folder.resolve()
    paths = [p for p in sorted(folder.glob(f"*/*{SUFFIX}")) if p.parent.name in KINDS]
    fingerprint = tuple((str(p), p.stat().st_mtime_ns) for p in paths)
    cached = _CACHE.get(folder)
    if cached is None or cached[0] != fingerprint:
        checker = FormatChecker()
        compiled = {}
        for path in paths:
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            compiled[(path.parent.name, path.name[: -len(SUFFIX)])] = (
                schema, Draft202012Validator(schema, format_checker=checker),
                jsonschema_rs.Draft202012Validator(schema, validate_formats=True))
        cached = (fingerprint, compiled)
        _CACHE[folder] = cached
    return cached[1]


class Contracts:
    """Every contract of the given providers' folders, compiled (each folder once per process while unchanged).

    Compiling every schema costs about half a second; a process that builds many apps (the test
    suite, a benchmark) pays it once.
    """

    def __init__(self, folders: Mapping[str, Path] | None = None) -> None:
        if folders is None:  # every provider folder below the packaged contracts/
            folders = {path.name: path for path in sorted(DEFAULT_DIR.iterdir()) if path.is_dir()}
        self._schemas: dict[tuple[str, str, str], dict] = {}
        self._validators: dict[tuple[str, str, str], Draft202012Validator] = {}
        self._fast: dict[tuple[str, str, str], jsonschema_rs.Draft202012Validator] = {}
        for provider, folder in folders.items():
            for (kind, name), (schema, validator, fast) in _compiled(Path(folder)).items():
                self._schemas[(provider, kind, name)] = schema
                self._validators[(provider, kind, name)] = validator
                self._fast[(provider, kind, name)] = fast

    def names(self) -> list[tuple[str, str, str]]:
        return sorted(self._schemas)

    def schema(self, provider: str, kind: str, name: str) -> dict:
        try:
            return self._schemas[(provider, kind, name)]
        except KeyError as exc:
            raise UnknownContract(f"{provider}/{kind}/{name}") from exc

    def errors(self, provider: str, kind: str, name: str, instance) -> list[Issue]:
        """Every violation, the deepest field first per branch, sorted by field for stable output."""
        try:
            validator = self._validators[(provider, kind, name)]
        except KeyError as exc:
            raise UnknownContract(f"{provider}/{kind}/{name}") from exc
        fast = self._fast[(provider, kind, name)]
        if fast.is_valid(instance):
            return []
        found = []
        for error in validator.iter_errors(instance):
            path = list(error.absolute_path)
            if error.validator == "required":
                # Name the missing field itself, not its parent object.
                missing = error.message.split("'")[1] if "'" in error.message else ""
                path = [*path, missing] if missing else path
                found.append(Issue(_pointer(path), "is required"))
            elif error.validator == "additionalProperties":
                found.append(Issue(_pointer(path), error.message))
            else:
                found.append(Issue(_pointer(path), error.message))
        if not found:  # rejected by the Rust validator alone (e.g. a `uri` format jsonschema does not check)
            found = [Issue(_pointer(list(error.instance_path)), error.message) for error in fast.iter_errors(instance)]
        return sorted(found, key=lambda issue: issue.field)
