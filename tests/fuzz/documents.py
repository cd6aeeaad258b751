"""OpenAPI documents for fuzzing what `/_sandbox/openapi.json` leaves out, built from the contracts.

Inqud and ROZO publish their own API references, so the sandbox's document leaves them out.
ROZO's published OpenAPI is fuzzed as it is, but it has no hosted pay page. The package ships
no Inqud document at all. The documents here cover both gaps: Inqud's API with its hosted page's
endpoints, and ROZO's pay page. They are built from the same contracts the sandbox validates
with. The paths carry live objects: the sandbox's Inqud project, a checkout, a request, a ROZO
payment. Random ids would only ever reach the 404, and the fuzzed bodies would never be read. A
browser event's own id is pinned to the same object, as the page would send it. Every answer is
held to a schema:
- the success status to its response contract, where one exists;
- any other status to the provider's error contract.
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.control.openapi import schema_ref
from sandbox.providers.inqud.catalog import CRYPTO
from sandbox.providers.inqud.pages import ACTIONS
from sandbox.providers.rozo.models import ERROR_CODES


class Op(NamedTuple):
    """One operation. `path` has `{names}` filled from the live objects' values. `request` is a
    contract as `kind/name`, a schema, or None for no body. `pins` maps a body member to the
    value it must hold."""

    method: str
    path: str
    request: str | dict | None
    status: str
    response: str | None = None
    pins: dict[str, str] = {}


INQUD_API = "/inqud/v1/user/crypto-acquiring"
#: The Inqud page's own bodies, which have no contract: what its buttons send.
INQUD_SELECT = {"type": "object", "properties": {"cryptoCurrency": {"enum": list(CRYPTO)}, "amount": {"type": "number"}}}
INQUD_ACTION = {"type": "object", "properties": {"action": {"enum": list(ACTIONS)}, "amount": {"type": "number"}}}

INQUD = (
    Op("POST", INQUD_API + "/{project}/checkouts", "requests/create-checkout", "200", "checkout"),
    Op("POST", INQUD_API + "/{project}/requests", "requests/create-request", "200", "request"),
    Op("GET", INQUD_API + "/requests/{request}", None, "200", "request"),
    Op("GET", INQUD_API + "/{project}/checkouts/{checkout}", None, "200", "checkout"),
    Op("GET", INQUD_API + "/{project}/requests/{request}", None, "200", "request"),
    Op("GET", "/inqud/sandbox/projects/{project}", None, "200", "project"),
    Op("PUT", "/inqud/sandbox/projects/{project}", "requests/project-settings", "200", "project"),
    Op("GET", "/inqud/pay/api/checkouts/{checkout}", None, "200"),
    Op("POST", "/inqud/pay/api/checkouts/{checkout}/select", INQUD_SELECT, "200"),
    Op("POST", "/inqud/pay/api/checkouts/{checkout}/actions", INQUD_ACTION, "200"),
    Op("POST", "/inqud/pay/api/requests/{request}/actions", INQUD_ACTION, "200"),
    Op("POST", "/inqud/pay/api/checkouts/{checkout}/events", "browser/status-changed", "202", pins={"id": "checkout"}),
)

#: The ROZO page's buttons: pay in, or bounce with one of ROZO's error codes.
ROZO_ACTION = {"type": "object", "properties": {"action": {"enum": ["payin", "bounce"]},
                                                "errorCode": {"enum": list(ERROR_CODES)}}}

ROZO_PAGE = (
    Op("GET", "/rozo/pay/{payment}", None, "200"),
    Op("GET", "/rozo/pay/{payment}/state", None, "200"),
    Op("POST", "/rozo/pay/{payment}/actions", ROZO_ACTION, "200"),
    Op("POST", "/rozo/pay/{payment}/events", "browser/pay-event", "202", pins={"paymentId": "payment"}),
)


def document(contracts, provider: str, operations: tuple[Op, ...], values: dict[str, str]) -> dict:
    """The document for `provider`'s `operations`, with `values` standing in for the live objects."""
    components: dict = {}
    paths: dict = {}
    for op in operations:
        operation: dict = {"responses": {"default": {"description": "an error", "content": {"application/json": {
            "schema": schema_ref(components, contracts, provider, "responses", "error")}}}}}
        if op.request is not None:
            schema = op.request if isinstance(op.request, dict) else schema_ref(
                components, contracts, provider, *op.request.split("/"))
            if op.pins:
                schema = {"allOf": [schema, {"properties": {
                    member: {"const": values[name]} for member, name in op.pins.items()}}]}
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        success: dict = {"description": "success"}
        if op.response:
            success["content"] = {"application/json": {
                "schema": schema_ref(components, contracts, provider, "responses", op.response)}}
        operation["responses"][op.status] = success
        paths.setdefault(op.path.format(**values), {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": f"{provider} as the sandbox serves it", "version": "fuzz"},
        "paths": paths,
        "components": {"schemas": components},
    }
