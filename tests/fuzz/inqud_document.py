"""An OpenAPI document for fuzzing Inqud's API as the sandbox serves it.

Inqud publishes its own API reference, so the sandbox's `/_sandbox/openapi.json` leaves it out,
and the package ships no Inqud OpenAPI to fuzz. This document is built here from the
same contracts the sandbox validates with. The paths carry the sandbox's own project, and a live
checkout and request for the hosted page's endpoints. Random ids there would only ever reach the
404, and the fuzzed bodies would never be read. Every answer is held to a schema:
- the success status to its response contract, where one exists;
- any other status to Inqud's error contract.
"""

from __future__ import annotations

from sandbox.control.openapi import schema_ref
from sandbox.providers.inqud.catalog import CRYPTO
from sandbox.providers.inqud.pages import ACTIONS

API = "/inqud/v1/user/crypto-acquiring"

#: The hosted page's own bodies, which have no contract: what its buttons send.
SELECT = {"type": "object", "properties": {"cryptoCurrency": {"enum": list(CRYPTO)}, "amount": {"type": "number"}}}
ACTION = {"type": "object", "properties": {"action": {"enum": list(ACTIONS)}, "amount": {"type": "number"}}}

#: (method, path with `{project}`, `{checkout}` and `{request}` filled in later, the request body's
#: contract as `kind/name` (or its schema, or None for no body), success status, response contract)
OPERATIONS = (
    ("POST", API + "/{project}/checkouts", "requests/create-checkout", "200", "checkout"),
    ("POST", API + "/{project}/requests", "requests/create-request", "200", "request"),
    ("GET", API + "/requests/{request}", None, "200", "request"),
    ("GET", API + "/{project}/checkouts/{checkout}", None, "200", "checkout"),
    ("GET", API + "/{project}/requests/{request}", None, "200", "request"),
    ("GET", "/inqud/sandbox/projects/{project}", None, "200", "project"),
    ("PUT", "/inqud/sandbox/projects/{project}", "requests/project-settings", "200", "project"),
    ("GET", "/inqud/pay/api/checkouts/{checkout}", None, "200", None),
    ("POST", "/inqud/pay/api/checkouts/{checkout}/select", SELECT, "200", None),
    ("POST", "/inqud/pay/api/checkouts/{checkout}/actions", ACTION, "200", None),
    ("POST", "/inqud/pay/api/requests/{request}/actions", ACTION, "200", None),
    ("POST", "/inqud/pay/api/checkouts/{checkout}/events", "browser/status-changed", "202", None),
)


def document(contracts, project: str, checkout: str, request: str) -> dict:
    """The document for the sandbox's project, with `checkout` and `request` standing for live objects."""
    components: dict = {}
    paths: dict = {}
    for method, template, request_contract, status, response_contract in OPERATIONS:
        operation: dict = {"responses": {"default": {"description": "an Inqud error", "content": {"application/json": {
            "schema": schema_ref(components, contracts, "inqud", "responses", "error")}}}}}
        if isinstance(request_contract, dict):
            schema = request_contract
        elif request_contract:
            schema = schema_ref(components, contracts, "inqud", *request_contract.split("/"))
            if request_contract.startswith("browser/"):   # an event naming another checkout is refused
                schema = {"allOf": [schema, {"properties": {"id": {"const": checkout}}}]}
        if request_contract:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        success: dict = {"description": "success"}
        if response_contract:
            success["content"] = {"application/json": {
                "schema": schema_ref(components, contracts, "inqud", "responses", response_contract)}}
        operation["responses"][status] = success
        path = template.format(project=project, checkout=checkout, request=request)
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Inqud as the sandbox serves it", "version": "fuzz"},
        "paths": paths,
        "components": {"schemas": components},
    }
