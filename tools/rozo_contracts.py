#!/usr/bin/env python3
"""Derive the ROZO JSON Schema (2020-12) contracts from ROZO's published OpenAPI v2.0.0.

Reads ``contracts/rozo/openapi-v2.0.0.yaml`` (a byte-identical copy of ROZO's published
contract) and writes::

    contracts/rozo/requests/<name>.schema.json
    contracts/rozo/responses/<name>.schema.json
    contracts/rozo/webhooks/<name>.schema.json
    contracts/rozo/browser/<name>.schema.json
    contracts/rozo/enums.json

Development tool only: it needs PyYAML (``pip install pyyaml``); the product and the tests read
the emitted JSON files and never import this module.

Usage::

    python tools/rozo_contracts.py          # (re)write the files
    python tools/rozo_contracts.py --check  # exit 1 if any emitted file is stale

OpenAPI 3.0 -> JSON Schema 2020-12 conversion:

* ``$ref: '#/components/schemas/X'`` -> ``#/$defs/X``; every file embeds the components it
  needs under ``$defs`` and is self-contained (the file's own root component becomes ``#``).
* ``nullable: true`` -> ``type: [T, "null"]`` (and ``null`` added to an ``enum``), or
  ``anyOf: [<schema>, {"type": "null"}]`` when there is no ``type``.
* ``example`` -> ``examples: [example]`` (the standard annotation, so the tests can check the
  published examples without PyYAML); media-type examples go to the root ``examples``.
* ``discriminator``, ``xml``, ``externalDocs`` and ``x-*`` extensions are dropped.
* ``readOnly`` / ``writeOnly`` stay as annotations; a ``readOnly`` property is not required in
  a request and a ``writeOnly`` one is not required in a response (OpenAPI 3.0 semantics).
* Boolean ``exclusiveMinimum`` / ``exclusiveMaximum`` become the numeric 2020-12 form.
* ``format`` and every other validation keyword are kept as they are.

Request schemas are relaxed only where the sandbox must accept more than the published schema
(see ``REQUEST_DEVIATIONS`` and contracts/rozo/README.md). Response and webhook schemas are the
published ones, unchanged.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import yaml
except ImportError:  # pragma: no cover - dev tool
    sys.exit("tools/rozo_contracts.py needs PyYAML: pip install pyyaml")

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "contracts" / "rozo"
SOURCE = OUT_DIR / "openapi-v2.0.0.yaml"
SOURCE_REL = "contracts/rozo/openapi-v2.0.0.yaml"
ID_BASE = "https://liqx-sandbox.dev/contracts/rozo"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMPONENT_PREFIX = "#/components/schemas/"

Json = Any


# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Request deviations (documented in contracts/rozo/README.md)
# --------------------------------------------------------------------------------------------


def _deviate_create_payment(schema: dict[str, Json]) -> None:
    schema["properties"]["webhookSecret"] = {
        "type": "string",
        "description": "Secret used to sign this payment's webhooks (HMAC-SHA256). If omitted, one is "
        "generated and returned in the response.",
        "$comment": "sandbox deviation D1: not in the published schema; accepted per SPEC §3 and "
        "ROZO's SDK (pay-common CreatePaymentRequest.webhookSecret).",
    }


def _deviate_register_payin(schema: dict[str, Json]) -> None:
    if schema.get("required") != ["txHash", "fromAddress"]:
        raise SystemExit("register-payin: published `required` changed; review deviations D2/D3")
    schema["required"] = ["txHash"]
    schema["properties"]["senderAddress"] = {
        "type": "string",
        "description": "Alias of fromAddress, as sent by ROZO's SDK (pay-common updatePaymentPayInTxHash).",
        "$comment": "sandbox deviation D2: not in the published schema; accepted per SPEC §3.",
    }
    schema["$comment"] = (
        "sandbox deviations D2/D3: `senderAddress` accepted as an alias of `fromAddress`, and neither is "
        "required (ROZO's SDK omits the sender when it does not know it). See contracts/rozo/README.md."
    )


REQUEST_DEVIATIONS: dict[str, Callable[[dict[str, Json]], None]] = {
    "create-payment": _deviate_create_payment,
    "register-payin": _deviate_register_payin,
}


# --------------------------------------------------------------------------------------------
# Hand-written contracts (not in ROZO's OpenAPI)
# --------------------------------------------------------------------------------------------

PAY_EVENT_TYPES = ["paymentStarted", "paymentCompleted", "payoutCompleted", "paymentBounced"]

# errorCode is a free string in the OpenAPI; these values come from ROZO's SDK
# (RozoAI/intent-pay packages/pay-common/src/api/types.ts, enum PaymentErrorCode).
PAYMENT_ERROR_CODES = [
    "amountTooHigh",
    "amountTooLow",
    "chainUnavailable",
    "insufficientLiquidity",
    "invalidRecipient",
    "missingTrustline",
    "networkError",
    "providerError",
    "serviceMaintenance",
]


# --------------------------------------------------------------------------------------------
# Building the files
# --------------------------------------------------------------------------------------------


class Builder:
    def __init__(self, doc: dict[str, Json], sha256: str):
        self.doc = doc
        self.sha256 = sha256
        self.components: dict[str, Json] = doc.get("components", {}).get("schemas", {})
        info = doc.get("info", {})
        self.source_label = (
            f"ROZO's published OpenAPI v{info.get('version')} ({info.get('title')}, "
            f"x-revision-date {info.get('x-revision-date')})"
        )
        self.files: dict[str, Json] = {}

    def comment(self) -> str:
        return (
            f"Generated by tools/rozo_contracts.py from {SOURCE_REL} (sha256 {self.sha256}). "
            "Do not edit by hand: change the script and regenerate."
        )

    def emit(
        self,
        kind: str,
        name: str,
        title: str,
        source: str,
        schema: Json,
        direction: str,
        *,
        root_component: str | None = None,
        examples: list[Json] | None = None,
        note: str | None = None,
        deviation: Callable[[dict[str, Json]], None] | None = None,
    ) -> None:
        conv = Converter(self.components, direction, root_component)
        root = conv.schema(schema)
        defs = conv.defs()
        if deviation is not None:
            deviation(root)

        own_description = root.pop("description", None)
        root.pop("title", None)
        description = f"Derived from {self.source_label}, source: {source}."
        if note:
            description += " " + note
        if own_description:
            description += "\n\n" + own_description.strip()

        all_examples = list(root.pop("examples", [])) + list(examples or [])
        own_comment = root.pop("$comment", None)
        out: dict[str, Json] = {
            "$schema": DIALECT,
            "$id": f"{ID_BASE}/{kind}/{name}.schema.json",
            "title": title,
            "description": description,
            "$comment": self.comment() + (" " + own_comment if own_comment else ""),
            **root,
        }
        if all_examples:
            out["examples"] = all_examples
        if defs:
            out["$defs"] = defs
        self._put(f"{kind}/{name}.schema.json", out)

    def _put(self, rel: str, content: Json) -> None:
        if rel in self.files:
            raise ValueError(f"{rel} emitted twice")
        self.files[rel] = content

    # -- the ROZO mapping ------------------------------------------------------------------
    def build(self) -> dict[str, Json]:
        doc = self.doc
        handled_bodies: set[tuple[str, str]] = set()

        # requests ------------------------------------------------------------------------
        create = _operation(doc, "/", "post")
        media = _json_media(create["requestBody"], "POST / requestBody")
        if _ref_name(media["schema"]) != "CreatePaymentRequest":
            raise SystemExit("POST / no longer takes CreatePaymentRequest; update the mapping")
        self.emit(
            "requests",
            "create-payment",
            "ROZO create payment request",
            "components.schemas.CreatePaymentRequest (body of POST / and POST /payments)",
            self.components["CreatePaymentRequest"],
            "request",
            root_component="CreatePaymentRequest",
            examples=_media_examples(media),
            note="Also the body of the fee quote `POST /payments?dryrun=true`. Sandbox deviation D1 "
            "(see contracts/rozo/README.md).",
            deviation=REQUEST_DEVIATIONS["create-payment"],
        )
        handled_bodies.add(("/", "post"))

        payin_path = "/payments/{paymentId}/payin"
        payin = _operation(doc, payin_path, "post")
        media = _json_media(payin["requestBody"], f"POST {payin_path} requestBody")
        self.emit(
            "requests",
            "register-payin",
            "ROZO register payin request",
            f"the inline request body of POST {payin_path} (operationId registerPayin)",
            media["schema"],
            "request",
            examples=_media_examples(media),
            note="Sandbox deviations D2 and D3 (see contracts/rozo/README.md).",
            deviation=REQUEST_DEVIATIONS["register-payin"],
        )
        handled_bodies.add((payin_path, "post"))

        listing = _operation(doc, "/payments", "get")
        props: dict[str, Json] = {}
        required: list[str] = []
        for param in listing.get("parameters", []):
            if "$ref" in param or param.get("in") != "query":
                raise SystemExit(f"GET /payments: unexpected parameter {param!r}")
            prop = dict(param["schema"])
            if param.get("description"):
                prop["description"] = param["description"].strip()
            if "example" in param:
                prop["example"] = param["example"]
            props[param["name"]] = prop
            if param.get("required"):
                required.append(param["name"])
        query_schema: dict[str, Json] = {"type": "object", "properties": props}
        if required:
            query_schema["required"] = required
        self.emit(
            "requests",
            "list-payments-query",
            "ROZO list payments query parameters",
            "the query parameters of GET /payments (operationId listPayments)",
            query_schema,
            "request",
            note="Validates the query string as an object after `limit` and `offset` are parsed as "
            "integers; other parameters (e.g. `appId`, ignored when a key is supplied) are allowed.",
        )

        # every other request body in the document must be mapped explicitly
        for path, item in doc.get("paths", {}).items():
            for method in _METHODS:
                if method in item and "requestBody" in item[method] and (path, method) not in handled_bodies:
                    raise SystemExit(f"unmapped request body: {method.upper()} {path}")

        # responses -----------------------------------------------------------------------
        for path, method, status in (
            ("/", "post", "201"),
            ("/payments/{paymentId}", "get", "200"),
            ("/payments/order/{appId}/{orderId}", "get", "200"),
            (payin_path, "post", "200"),
        ):
            resp = _operation(doc, path, method)["responses"][status]
            if _ref_name(_json_media(resp, f"{method} {path} {status}")["schema"]) != "PaymentResponse":
                raise SystemExit(f"{method.upper()} {path} {status} no longer returns PaymentResponse")
        self.emit(
            "responses",
            "payment",
            "ROZO payment",
            "components.schemas.PaymentResponse (201 of POST /, 200 of GET /payments/{paymentId}, "
            "GET /payments/order/{appId}/{orderId} and POST /payments/{paymentId}/payin)",
            self.components["PaymentResponse"],
            "response",
            root_component="PaymentResponse",
        )

        list_media = _json_media(listing["responses"]["200"], "GET /payments 200")
        self.emit(
            "responses",
            "payment-list",
            "ROZO payment list",
            "the inline 200 response schema of GET /payments (operationId listPayments), "
            "named PaymentListResponse here",
            list_media["schema"],
            "response",
            examples=_media_examples(list_media),
        )

        error_uses = []
        for path, item in doc.get("paths", {}).items():
            for method in _METHODS:
                for status, resp in item.get(method, {}).get("responses", {}).items():
                    if str(status).startswith(("4", "5")):
                        name = _ref_name(_json_media(resp, f"{method} {path} {status}")["schema"])
                        if name != "ErrorResponse":
                            raise SystemExit(f"{method.upper()} {path} {status} is not ErrorResponse")
                        error_uses.append(f"{status} of {method.upper()} {path}")
        self.emit(
            "responses",
            "error",
            "ROZO API error",
            "components.schemas.ErrorResponse (every 4xx answer: " + ", ".join(error_uses) + ")",
            self.components["ErrorResponse"],
            "response",
            root_component="ErrorResponse",
        )

        # webhooks ------------------------------------------------------------------------
        hook_examples: list[Json] = []
        hook_names = []
        for hook_name, hook in doc.get("webhooks", {}).items():
            media = _json_media(hook["post"]["requestBody"], f"webhook {hook_name}")
            if _ref_name(media["schema"]) != "WebhookEvent":
                raise SystemExit(f"webhook {hook_name} no longer carries WebhookEvent")
            hook_examples += _media_examples(media)
            hook_names.append(hook_name)
        self.emit(
            "webhooks",
            "webhook-event",
            "ROZO webhook event",
            "components.schemas.WebhookEvent (body of the webhooks " + ", ".join(hook_names) + ")",
            self.components["WebhookEvent"],
            "response",
            root_component="WebhookEvent",
            examples=hook_examples,
            note="Each example is the published one, verbatim; where the published example and schema "
            "disagree the schema wins (see contracts/rozo/README.md, Known inconsistencies).",
        )

        # enums ---------------------------------------------------------------------------
        enums = self.enums()

        # hand-written: browser event and fee quote ------------------------------------------
        self._put("browser/pay-event.schema.json", self.pay_event(enums["PaymentStatus"]))
        self._put("responses/fee-quote.schema.json", self.fee_quote())

        self.files["enums.json"] = enums
        return self.files

    def enums(self) -> dict[str, list[Json]]:
        c = self.components
        req, resp = c["CreatePaymentRequest"]["properties"], c["PaymentResponse"]["properties"]

        def same(label: str, *lists: list[Json]) -> list[Json]:
            if any(lst != lists[0] for lst in lists):
                raise SystemExit(f"{label}: the OpenAPI lists differ: {lists}")
            return list(lists[0])

        chain_text = req["source"]["properties"]["chainId"].get("description", "")
        chain_ids = re.findall(r"(\d+)\s*\(", chain_text)
        if not chain_ids:
            raise SystemExit("ChainId: could not read the chain list from source.chainId's description")
        return {
            "PaymentStatus": same("PaymentStatus", resp["status"]["enum"]),
            "WebhookEventType": same("WebhookEventType", c["WebhookEventType"]["enum"]),
            "FeeType": same("FeeType", req["type"]["enum"], resp["type"]["enum"]),
            "TokenSymbol": same(
                "TokenSymbol",
                req["source"]["properties"]["tokenSymbol"]["enum"],
                req["destination"]["properties"]["tokenSymbol"]["enum"],
            ),
            "ChainId": chain_ids,
            "PaymentErrorCode": list(PAYMENT_ERROR_CODES),
        }

    def pay_event(self, statuses: list[str]) -> Json:
        return {
            "$schema": DIALECT,
            "$id": f"{ID_BASE}/browser/pay-event.schema.json",
            "title": "ROZO pay page browser event",
            "description": (
                "Message the sandbox's hosted ROZO pay page (GET /rozo/pay/{paymentId}) posts to its "
                "opener/parent window; the type names are those of the ROZO SDK callbacks "
                "(onPaymentStarted, onPaymentCompleted, onPayoutCompleted, onPaymentBounced). Written by "
                "hand: ROZO's OpenAPI has no browser events. The `status` enum is derived from "
                f"{self.source_label}, source: components.schemas.PaymentResponse.properties.status."
            ),
            "$comment": self.comment(),
            "type": "object",
            "required": ["source", "type", "paymentId", "status"],
            "additionalProperties": False,
            "properties": {
                "source": {"const": "rozo-pay"},
                "type": {"enum": list(PAY_EVENT_TYPES)},
                "paymentId": {"type": "string"},
                "status": {"$ref": "#/$defs/PaymentStatus"},
            },
            "examples": [
                {
                    "source": "rozo-pay",
                    "type": "paymentStarted",
                    "paymentId": "550e8400-e29b-41d4-a716-446655440000",
                    "status": "payment_started",
                }
            ],
            "$defs": {"PaymentStatus": {"type": "string", "enum": list(statuses)}},
        }

    def fee_quote(self) -> Json:
        def strings(*names: str) -> Json:
            return {
                "type": "object",
                "required": list(names),
                "properties": {n: {"type": "string"} for n in names},
            }

        return {
            "$schema": DIALECT,
            "$id": f"{ID_BASE}/responses/fee-quote.schema.json",
            "title": "ROZO fee quote",
            "description": (
                "200 answer to `POST /payments?dryrun=true` (fee quote: the create body, nothing "
                "persisted). Written by hand: the endpoint is not in "
                f"{self.source_label}; the shape is FeeResponseData of ROZO's SDK "
                "(RozoAI/intent-pay packages/pay-common/src/api/payment.ts). Errors use "
                "components.schemas.ErrorResponse (responses/error.schema.json); the SDK treats any "
                "body with an `error` member as a failure, so a quote never has one."
            ),
            "$comment": self.comment(),
            "type": "object",
            "required": ["status", "type", "source", "destination", "feeInfo"],
            "not": {"required": ["error"]},
            "properties": {
                "status": {"type": "string"},
                "type": {"type": "string"},
                "source": strings("chainId", "tokenSymbol", "amount", "fee"),
                "destination": strings("chainId", "tokenSymbol", "amount"),
                "feeInfo": strings("feePercentage", "minimumFee"),
            },
            "examples": [
                {
                    "status": "payment_unpaid",
                    "type": "exactIn",
                    "source": {"chainId": "8453", "tokenSymbol": "USDC", "amount": "10.00", "fee": "0.03"},
                    "destination": {"chainId": "1500", "tokenSymbol": "USDC", "amount": "9.97"},
                    "feeInfo": {"feePercentage": "0.3", "minimumFee": "0.01"},
                }
            ],
        }


def render(content: Json) -> str:
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if an emitted file is missing or stale")
    args = parser.parse_args(argv)

    doc, sha256 = load_openapi(SOURCE)
    files = Builder(doc, sha256).build()

    stale = []
    for rel, content in sorted(files.items()):
        path = OUT_DIR / rel
        text = render(content)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(rel)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    # files from an earlier run that this run no longer produces
    emitted = {OUT_DIR / rel for rel in files}
    orphans = [
        p
        for kind in ("requests", "responses", "webhooks", "browser")
        for p in sorted((OUT_DIR / kind).glob("*.schema.json"))
        if p not in emitted
    ]

    if args.check:
        for rel in stale:
            print(f"stale: contracts/rozo/{rel}")
        for p in orphans:
            print(f"orphan: {p.relative_to(ROOT)}")
        return 1 if stale or orphans else 0
    for p in orphans:
        p.unlink()
        print(f"removed {p.relative_to(ROOT)}")
    for rel in sorted(files):
        print(f"{'wrote' if rel in stale else 'unchanged'} contracts/rozo/{rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
