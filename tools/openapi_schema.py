"""OpenAPI 3.0 → JSON Schema 2020-12: loading ROZO's YAML and converting its schemas.

The conversion rules are listed in `tools/rozo_contracts.py`, which drives this module; they
live apart so each file stays small. Development tool only (needs PyYAML).
"""

from __future__ import annotations

import copy
import hashlib
import sys
from pathlib import Path
from typing import Any

try:
    import yaml
except ImportError:  # pragma: no cover - dev tool
    sys.exit("tools/openapi_schema.py needs PyYAML: pip install pyyaml")

DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMPONENT_PREFIX = "#/components/schemas/"

Json = Any

# Loading
# --------------------------------------------------------------------------------------------


class _OpenApiLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings (JSON has no date type)."""


_OpenApiLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_openapi(path: Path) -> tuple[dict[str, Json], str]:
    raw = path.read_bytes()
    doc = yaml.load(raw.decode("utf-8"), Loader=_OpenApiLoader)  # noqa: S506 - SafeLoader subclass
    if not str(doc.get("openapi", "")).startswith("3.0."):
        raise SystemExit(f"{path}: expected an OpenAPI 3.0.x document, got {doc.get('openapi')!r}")
    return doc, hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------------------------------
# OpenAPI 3.0 Schema Object -> JSON Schema 2020-12
# --------------------------------------------------------------------------------------------

# Keywords copied unchanged (valid with the same meaning in 2020-12).
_PLAIN = {
    "title",
    "description",
    "type",
    "format",
    "default",
    "enum",
    "deprecated",
    "multipleOf",
    "maximum",
    "minimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "readOnly",
    "writeOnly",
}
# OpenAPI-only keywords without a JSON Schema meaning.
_DROPPED = {"discriminator", "xml", "externalDocs"}
_ANNOTATIONS = ("title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples")


class Converter:
    """Converts schemas for one emitted file and collects the components it needs."""

    def __init__(self, components: dict[str, Json], direction: str, root_component: str | None = None):
        if direction not in ("request", "response"):
            raise ValueError(direction)
        self.components = components
        self.direction = direction
        self.root_component = root_component
        self.needed: set[str] = set()

    # -- refs ------------------------------------------------------------------------------
    def _ref(self, ref: str) -> str:
        if not ref.startswith(COMPONENT_PREFIX):
            raise ValueError(f"unsupported $ref {ref!r} (only {COMPONENT_PREFIX}* is handled)")
        name = ref[len(COMPONENT_PREFIX) :]
        if name not in self.components:
            raise ValueError(f"dangling $ref {ref!r}")
        if name == self.root_component:
            return "#"
        self.needed.add(name)
        return f"#/$defs/{name}"

    # -- schemas ---------------------------------------------------------------------------
    def schema(self, s: Json) -> Json:
        if isinstance(s, bool):
            return s
        if not isinstance(s, dict):
            raise TypeError(f"schema must be an object, got {s!r}")
        if "$ref" in s:
            # OpenAPI 3.0: siblings of $ref are ignored; `nullable` next to a $ref is honoured
            # because that is what every author who writes it means.
            out: dict[str, Json] = {"$ref": self._ref(s["$ref"])}
            return _make_nullable(out) if s.get("nullable") is True else out

        out = {}
        for key, value in s.items():
            if key.startswith("x-") or key in _DROPPED or key == "nullable":
                continue
            if key == "example":
                out["examples"] = [copy.deepcopy(value)]
            elif key in ("properties",):
                out[key] = {name: self.schema(sub) for name, sub in value.items()}
            elif key in ("items", "not"):
                out[key] = self.schema(value)
            elif key == "additionalProperties":
                out[key] = value if isinstance(value, bool) else self.schema(value)
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = [self.schema(sub) for sub in value]
            elif key in ("exclusiveMinimum", "exclusiveMaximum"):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be a boolean in OpenAPI 3.0, got {value!r}")
                # handled below, needs minimum/maximum
            elif key == "required":
                out[key] = list(value)
            elif key == "description":
                out[key] = value.strip()  # block scalars end with a newline
            elif key in _PLAIN:
                out[key] = copy.deepcopy(value)
            else:
                raise ValueError(f"unsupported OpenAPI schema keyword {key!r}")

        for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if s.get(exclusive) is True:
                if bound not in out:
                    raise ValueError(f"{exclusive}: true without {bound}")
                out[exclusive] = out.pop(bound)

        if "required" in out:
            props = s.get("properties", {})
            skip = "readOnly" if self.direction == "request" else "writeOnly"
            out["required"] = [n for n in out["required"] if not props.get(n, {}).get(skip)]
            if not out["required"]:
                del out["required"]

        return _make_nullable(out) if s.get("nullable") is True else out

    def defs(self) -> dict[str, Json]:
        """Convert every needed component (transitively), sorted by name."""
        done: dict[str, Json] = {}
        while self.needed - done.keys():
            for name in sorted(self.needed - done.keys()):
                done[name] = self.schema(self.components[name])
        return {name: done[name] for name in sorted(done)}


def _make_nullable(out: dict[str, Json]) -> dict[str, Json]:
    if "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        if "null" not in types:
            out["type"] = [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    annotations = {k: out.pop(k) for k in _ANNOTATIONS if k in out}
    return {**annotations, "anyOf": [out, {"type": "null"}]}


# --------------------------------------------------------------------------------------------
# Reading the document
# --------------------------------------------------------------------------------------------

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _json_media(holder: dict[str, Json], where: str) -> dict[str, Json]:
    content = holder.get("content", {})
    if "application/json" not in content:
        raise ValueError(f"{where}: no application/json content")
    return content["application/json"]


def _media_examples(media: dict[str, Json]) -> list[Json]:
    found = []
    if "example" in media:
        found.append(copy.deepcopy(media["example"]))
    for ex in (media.get("examples") or {}).values():
        if "value" in ex:
            found.append(copy.deepcopy(ex["value"]))
    return found


def _ref_name(schema: Json) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref[len(COMPONENT_PREFIX) :] if ref and ref.startswith(COMPONENT_PREFIX) else None


def _operation(doc: dict[str, Json], path: str, method: str) -> dict[str, Json]:
    try:
        return doc["paths"][path][method]
    except KeyError:
        raise SystemExit(
            f"the OpenAPI has no {method.upper()} {path}; the mapping in this script needs updating"
        ) from None
