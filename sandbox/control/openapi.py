"""`GET /_sandbox/openapi.json`: an OpenAPI 3.1 document for the providers that document an API, and the control API (SPEC §9).

Paths come from the live router, so the document can never list a route that does not exist or
miss one that does; bodies, and a provider's error answers, point at the same JSON Schema
contracts the sandbox validates with (OpenAPI 3.1 speaks JSON Schema 2020-12, so they are
embedded as they are). Control-API bodies are the JSON Schemas of the pydantic models their
handlers validate with (`@accepts`). Which operations a provider documents is its own
declaration (`Provider.openapi`); a provider that publishes its own document (ROZO, Inqud)
declares none and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from sandbox import __version__
from sandbox.contracts import Contracts
from sandbox.settings import Settings
from sandbox.validation import query_parameters

CONTROL = "_sandbox"
CONTROL_TAG = "Sandbox control API"


def _routes(app: web.Application, documented: Mapping[str, str]):
    """(top segment, method, full path template, handler) for every route of the documented sub-apps."""
    for resource in app.router.resources():
        info = resource.get_info()
        sub, segment = info.get("app"), str(info.get("prefix", "")).strip("/")
        if sub is None or segment not in documented:
            continue
        for route in sub.router.routes():
            if route.method in ("HEAD", "OPTIONS", "*"):
                continue
            info = route.resource.get_info() if route.resource else {}
            path = info.get("formatter") or info.get("path")
            if path is None:
                continue
            yield segment, route.method, path, route.handler  # sub-app paths already carry the prefix


def _rebase(node, base: str):
    """A copy of `node` whose document-local `$ref`s (`#/$defs/x`) point inside its new home `base`."""
    if isinstance(node, dict):
        out = {k: _rebase(v, base) for k, v in node.items() if k not in ("$schema", "$id")}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = base + ref[1:]
        return out
    if isinstance(node, list):
        return [_rebase(item, base) for item in node]
    return node


def schema_ref(components: dict, contracts: Contracts, provider: str, kind: str, name: str) -> dict:
    """Embed a contract under `components/schemas` (its internal references rebased) and point at it.

    A contract's own `#/$defs/…` references would otherwise resolve against the whole document."""
    key = f"{provider}.{kind}.{name}"
    if key not in components:
        components[key] = _rebase(contracts.schema(provider, kind, name), f"#/components/schemas/{key}")
    return {"$ref": f"#/components/schemas/{key}"}


def accepts(model, required: bool = True, status: int = 200):
    """Mark a handler as validating its JSON body with pydantic `model` (and answering `status`), so this document types it."""
    def mark(handler):
        handler.body_model, handler.body_required, handler.success_status = model, required, status
        return handler
    return mark


def _model_ref(components: dict, model) -> dict:
    """A pydantic model's JSON Schema among the components (its nested models beside it)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _error_answer(components: dict, contracts: Contracts, segment: str) -> dict:
    """Any status but the success one: a provider's error envelope is its `responses/error` contract
    (every provider has one: `Provider.create` answers through it), so a client (or a fuzzer) can hold
    every error answer to it; the control API's is the sandbox's own."""
    answer = {"description": "an error in the provider's error envelope"}
    if segment != CONTROL:
        answer["content"] = {"application/json": {"schema": schema_ref(components, contracts, segment, "responses", "error")}}
    return answer


def build(app: web.Application, providers: Mapping, contracts: Contracts, settings: Settings, base_url: str) -> dict:
    """The document, built from the router, the providers' declarations and the contracts."""
    documented = {name: p for name, p in providers.items() if p.openapi}
    tags = {**{name: p.openapi_tag or p.title for name, p in documented.items()}, CONTROL: CONTROL_TAG}
    schemes = {f"{name}Bearer": dict(p.auth_scheme) for name, p in documented.items()}
    schemes["adminToken"] = {"type": "http", "scheme": "bearer", "description": "SANDBOX_ADMIN_TOKEN"}
    paths: dict = {}
    components: dict = {}
    for segment, method, path, handler in _routes(app, tags):
        if "{" in path and ":" in path or path.startswith(f"/{CONTROL}/ui"):
            continue  # regex routes (static files) and the inspector's pages are not API operations
        if segment == CONTROL:
            security = [] if settings.loopback_only else [{"adminToken": []}]
            declared = None
        else:
            declared = documented[segment].openapi.get((method, path.removeprefix(f"/{segment}")))
            security = [] if declared is not None and declared.public else [{f"{segment}Bearer": []}]
        operation: dict = {
            "tags": [tags[segment]],
            "summary": ((handler.__doc__ or "").strip().splitlines() or [f"{method} {path}"])[0],
            "security": security,
            "responses": {"default": _error_answer(components, contracts, segment)},
        }
        params = [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
        parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
        query_model = getattr(handler, "query_model", None)  # set by handlers that parse a query model
        if query_model is not None:
            parameters += query_parameters(query_model)
        if parameters:
            operation["parameters"] = parameters
        request_name, status, response_name = (None, str(getattr(handler, "success_status", 200)), None) if declared is None else (
            declared.request, declared.status, declared.response)
        if request_name:
            kind, _, name = request_name.rpartition("/")
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": schema_ref(components, contracts, segment, kind or "requests", name)}}}
        elif getattr(handler, "body_model", None) is not None:
            operation["requestBody"] = {"required": handler.body_required, "content": {"application/json": {
                "schema": _model_ref(components, handler.body_model)}}}
        elif method in ("POST", "PUT") and segment != "_sandbox":  # control calls without a model take no body
            operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}
        response: dict = {"description": "success"}
        if response_name:
            response["content"] = {"application/json": {
                "schema": schema_ref(components, contracts, segment, "responses", response_name)}}
        operation["responses"][status] = response
        paths.setdefault(path, {})[method.lower()] = operation
    names = " and ".join(p.title for p in documented.values()) or "No provider"
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "liqx-sandbox", "version": __version__,
                 "description": f"{names} as impersonated by the sandbox, and the sandbox's control API."},
        "servers": [{"url": base_url}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components, "securitySchemes": schemes},
    }
