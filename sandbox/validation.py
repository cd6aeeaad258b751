"""One validation vocabulary: issues, how they render as `details`, query strings and control bodies.

Every refusal of client input names its fields the same way: `{"field", "issue"}`, a JSON
pointer for body members (`/amount_krw`) and the bare name for query parameters (`limit`).
Query strings are parsed through small pydantic models built from the types below, so an
integer parameter takes ASCII digits only (`"²"` is a digit to `str.isdigit()` but not to
`int()`) within its documented range, and an unknown or malformed value is a 400, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from sandbox.bodies import read_json
from sandbox.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)
_DIGITS = re.compile(r"[0-9]{1,100}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Issue:
    """One violation: where (a JSON pointer, or a query parameter's name) and what is wrong there."""

    field: str
    issue: str

    def as_dict(self) -> dict:
        return {"field": self.field, "issue": self.issue}


def details(issues: Iterable[Issue | Mapping]) -> list[dict]:
    """The `details` member of an error: one `{"field", "issue"}` per issue, duplicates dropped, in order."""
    out, seen = [], set()
    for item in issues:
        entry = item.as_dict() if isinstance(item, Issue) else {"field": str(item["field"]), "issue": str(item["issue"])}
        key = (entry["field"], entry["issue"])
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def refuse(message: str, issues: Iterable[Issue | Mapping], *, code: str | None = None) -> ValidationFailed:
    """The 400 naming every offending field (raise it)."""
    return ValidationFailed(message, details=details(issues), code=code)


def ascii_int(text: str | None, low: int = 0, high: int = 2**63 - 1) -> int | None:
    """`text` as an integer when it is ASCII digits only and within `[low, high]`; None otherwise."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def query_int(low: int, high: int):
    """A query-parameter integer type: ASCII digits within `[low, high]`, else a clear issue."""
    def parse(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value  # a default
        parsed = ascii_int(value, low, high)
        if parsed is None:
            raise PydanticCustomError("query_int", "must be an integer from {low} to {high}", {"low": low, "high": high})
        return parsed
    return Annotated[int, BeforeValidator(parse), WithJsonSchema({"type": "integer", "minimum": low, "maximum": high})]


def query_text(most: int = 255):
    """A free-text query parameter of at most `most` characters (an empty value counts as absent)."""
    def parse(value: Any) -> str | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or len(value) > most:
            raise PydanticCustomError("query_text", "must be at most {most} characters", {"most": most})
        return value
    return Annotated[str | None, BeforeValidator(parse), WithJsonSchema({"type": "string", "maxLength": most})]


def takes_query(model: type[BaseModel]):
    """Mark a handler as reading its query through `model`, so the OpenAPI document lists the parameters."""
    def mark(handler):
        handler.query_model = model
        return handler
    return mark


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """The OpenAPI `parameters` (in: query) of a query model, so documents and fuzzers know its bounds."""
    schema = model.model_json_schema()
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        if "anyOf" in prop:  # `X | None`: the parameter is simply optional
            prop = next((p for p in prop["anyOf"] if p.get("type") != "null"), {"type": "string"})
        out.append({"name": name, "in": "query", "required": False, "schema": prop})
    return out


def _pydantic_issues(exc: ValidationError, *, pointer: bool) -> list[Issue]:
    found = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = "/" + "/".join(loc) if pointer else ".".join(loc)
        # A field validator's ValueError reads "Value error, <its message>": keep only its message.
        text = "unknown parameter" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
        found.append(Issue(field or "/", text))
    return found


def parse_query(model: type[M], query: Mapping[str, str], *, code: str | None = None) -> M:
    """The query string as `model`; any bad parameter is a 400 naming it (in the caller's error code)."""
    try:
        return model.model_validate({key: query[key] for key in query})
    except ValidationError as exc:
        raise refuse("invalid query parameters", _pydantic_issues(exc, pointer=False), code=code) from exc


def parse_body(model: type[M], body: Mapping | None, *, what: str = "the control API") -> M:
    """A JSON body as `model`; every offending member named by its JSON pointer."""
    try:
        return model.model_validate(body or {})
    except ValidationError as exc:
        raise refuse(f"request does not match {what}", _pydantic_issues(exc, pointer=True)) from exc


async def read_model(request, model: type[M], *, allow_empty: bool = False, what: str = "the control API") -> M:
    """The request's JSON body, read by the one strict reader, as `model` (an empty body is `{}` when allowed)."""
    body, _ = await read_json(request, allow_empty=allow_empty)
    return parse_body(model, body, what=what)
