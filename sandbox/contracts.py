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

JSON Schema patterns are ECMA-262 regular expressions: `$` ends the value. The Rust validator
reads them so; Python's `$` also matches before a final newline (`"100\n"` would pass
`^[0-9]+$`), so for the wording validator patterns are compiled with `$` read as `\\Z` (and `\\d`
as ASCII digits), and `date-time` refuses surrounding whitespace: both agree that patterns and
formats match whole values only. Every free string carries a `maxLength` (`bound_strings`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from rfc3339_validator import validate_rfc3339

from sandbox import DATA_DIR
from sandbox.validation import Issue

KINDS = ("requests", "responses", "webhooks", "browser")
SUFFIX = ".schema.json"
DEFAULT_DIR = DATA_DIR / "contracts"


_CACHE: dict[Path, tuple[tuple, dict]] = {}


class UnknownContract(KeyError):
    """No contract has that provider, kind and name."""


def _pointer(path) -> str:
    return "/" + "/".join(str(part) for part in path) if path else "/"


@lru_cache(maxsize=512)
def whole_value_pattern(pattern: str) -> re.Pattern:
    """An ECMA-262 pattern compiled for Python: `$` outside a character class becomes `\\Z`."""
    out, in_class, escaped = [], False, False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif ch == "]":
            in_class = False
            out.append(ch)
        elif ch == "$" and not in_class:
            out.append(r"\Z")
        else:
            out.append(ch)
    return re.compile("".join(out), re.ASCII)


def _pattern(validator, pattern: str, instance, schema):
    if validator.is_type(instance, "string") and not whole_value_pattern(pattern).search(instance):
        yield ValidationError(f"does not match {pattern!r}")


StrictValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def format_checker() -> FormatChecker:
    """jsonschema's format checks, with `date-time` refusing a value that only matches before a newline."""
    checker = FormatChecker()

    @checker.checks("date-time")
    def _date_time(instance) -> bool:
        return not isinstance(instance, str) or (instance == instance.strip() and validate_rfc3339(instance.upper()))

    return checker


def _describe(error) -> str:
    """What is wrong, without echoing the value (it may be a megabyte long); either library's error."""
    value = getattr(error, "validator_value", None)
    words = {"maxLength": f"must be at most {value} characters", "minLength": f"must be at least {value} characters",
             "maxItems": f"must have at most {value} items", "maximum": f"must be at most {value}",
             "minimum": f"must be at least {value}", "format": f"must be a valid {value}"}
    text = words.get(getattr(error, "validator", None), str(error.message))
    return text if len(text) <= 300 else text[:297] + "..."


#: SPEC §10: every string has a maximum length, by what it holds.
URL_MAX, SECRET_MAX, NAME_MAX, ID_MAX, TEXT_MAX = 2048, 256, 1000, 255, 10_000
_NAME_WORDS = ("name", "title", "description", "memo", "note", "reason", "label")
_TEXT_WORDS = ("message", "issue")
_SUBSCHEMA_LISTS = ("items", "prefixItems", "anyOf", "oneOf", "allOf")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "unevaluatedProperties", "not", "if", "then", "else", "contains",
                  "propertyNames", "unevaluatedItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")


def string_bound(member: str | None) -> int:
    """The maximum length for a string member, by its name: URLs, secrets, names, free text, else ids."""
    word = (member or "").lower()
    if "url" in word:
        return URL_MAX
    if "secret" in word:
        return SECRET_MAX
    if any(w in word for w in _TEXT_WORDS):
        return TEXT_MAX
    if any(w in word for w in _NAME_WORDS):
        return NAME_MAX
    return ID_MAX


def _subschemas(schema: dict, member: str | None):
    """(subschema, member name it describes) for every direct subschema of `schema`."""
    for key in _SUBSCHEMA_MAPS:
        for name, sub in (schema.get(key) or {}).items():
            yield sub, (name if key in ("properties", "patternProperties") else member)
    for key in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            yield from ((sub, member) for sub in schema[key])
    for key in _SUBSCHEMA_ONE:
        if isinstance(schema.get(key), dict):
            yield schema[key], member


def _is_free_string(schema: dict) -> bool:
    kind = schema.get("type")
    is_string = kind == "string" or (isinstance(kind, list) and "string" in kind)
    return is_string and "enum" not in schema and "const" not in schema


def bound_strings(schema: dict, member: str | None = None) -> dict:
    """Give every free string in `schema` a `maxLength` by `string_bound` (in place; returns `schema`).

    Used by the contract generators, so a contract can never accept a megabyte where an id belongs.
    """
    if isinstance(schema, dict):
        if _is_free_string(schema) and "maxLength" not in schema:
            schema["maxLength"] = string_bound(member)
        for sub, name in _subschemas(schema, member):
            bound_strings(sub, name)
    return schema


def unbounded_strings(schema: dict, pointer: str = "") -> list[str]:
    """JSON pointers of free strings without a `maxLength` (the contract tests want none)."""
    found = []
    if isinstance(schema, dict):
        if _is_free_string(schema) and "maxLength" not in schema:
            found.append(pointer or "/")
        for key in (*_SUBSCHEMA_MAPS, *_SUBSCHEMA_LISTS, *_SUBSCHEMA_ONE):
            value = schema.get(key)
            if isinstance(value, dict) and key in _SUBSCHEMA_MAPS:
                for name, sub in value.items():
                    found += unbounded_strings(sub, f"{pointer}/{key}/{name}")
            elif isinstance(value, list):
                for index, sub in enumerate(value):
                    found += unbounded_strings(sub, f"{pointer}/{key}/{index}")
            elif isinstance(value, dict):
                found += unbounded_strings(value, f"{pointer}/{key}")
    return found


def _compiled(folder: Path) -> dict[tuple[str, str], tuple[dict, Draft202012Validator, jsonschema_rs.Draft202012Validator]]:
    """`{(kind, name): (schema, validator, fast validator)}` of one provider folder, cached by file times."""
    folder = folder.resolve()
    paths = [p for p in sorted(folder.glob(f"*/*{SUFFIX}")) if p.parent.name in KINDS]
    fingerprint = tuple((str(p), p.stat().st_mtime_ns) for p in paths)
    cached = _CACHE.get(folder)
    if cached is None or cached[0] != fingerprint:
        checker = format_checker()
        compiled = {}
        for path in paths:
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            compiled[(path.parent.name, path.name[: -len(SUFFIX)])] = (
                schema, StrictValidator(schema, format_checker=checker),
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
        found = set()
        for error in validator.iter_errors(instance):
            path = list(error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, dict):
                # Name each missing field itself, not its parent object (from the validator's data).
                found.update(Issue(_pointer([*path, name]), "is required")
                             for name in error.validator_value if name not in error.instance)
            else:
                found.add(Issue(_pointer(path), _describe(error)))
        if not found:  # rejected by the Rust validator alone (e.g. a `uri` format jsonschema does not check)
            found = {Issue(_pointer(list(error.instance_path)), _describe(error)) for error in fast.iter_errors(instance)}
        return sorted(found, key=lambda issue: (issue.field, issue.issue))
