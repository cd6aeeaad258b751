"""`GET /_sandbox/openapi.json`: an OpenAPI 3.1 document for the LIQX, Mizu and control APIs (SPEC §9).

Paths come from the live router, so the document can never list a route that does not exist or
miss one that does; bodies point at the same JSON Schema contracts the sandbox validates with
(OpenAPI 3.1 speaks JSON Schema 2020-12, so they are embedded as they are). Control-API bodies
are the JSON Schemas of the pydantic models their handlers validate with (`@accepts`). ROZO and Inqud are
left out on purpose: their providers publish their own documents.
"""

from __future__ import annotations

from aiohttp import web

from sandbox import __version__
from sandbox.engine import Sandbox

DOCUMENTED = {"liqx": "LIQX (provisional contract)", "mizu": "Mizu Financial (provisional API)",
              "_sandbox": "Sandbox control API"}

#: (method, path) → (request contract, success status, response contract) for provider routes.
BODIES = {
    ("POST", "/liqx/v1/payin-intents"): ("payin-intent", "201", "intent"),
    ("POST", "/liqx/v1/payout-intents"): ("payout-intent", "201", "intent"),
    ("GET", "/liqx/v1/intents/{intent_id}"): (None, "200", "intent"),
    ("GET", "/liqx/v1/intents"): (None, "200", "intent-list"),
    ("POST", "/liqx/v1/intents/{intent_id}/widget-sessions"): (None, "201", "widget-session"),
    ("POST", "/mizu/api/v1/payment-links"): ("payment-link", "201", "payment-link"),
    ("GET", "/mizu/api/v1/payment-links/{link_id}"): (None, "200", "payment-link"),
    ("GET", "/mizu/api/v1/payments/{payment_id}"): (None, "200", "payment"),
    ("GET", "/mizu/api/v1/payments"): (None, "200", "payment-list"),
}
SECURITY = {"liqx": [{"liqxBearer": []}], "mizu": [{"mizuBearer": []}], "_sandbox": [{"adminToken": []}]}


def _routes(app: web.Application):
    """(top segment, method, full path template, handler) for every route of the documented sub-apps."""
    for resource in app.router.resources():
        info = resource.get_info()
        sub, segment = info.get("app"), str(info.get("prefix", "")).strip("/")
        if sub is None or segment not in DOCUMENTED:
            continue
        for route in sub.router.routes():
            if route.method in ("HEAD", "OPTIONS", "*"):
                continue
            info = route.resource.get_info() if route.resource else {}
            path = info.get("formatter") or info.get("path")
            if path is None:
                continue
            yield segment, route.method, path, route.handler  # sub-app paths already carry the prefix


def _schema_ref(components: dict, sb: Sandbox, provider: str, kind: str, name: str) -> dict:
    key = f"{provider}.{kind}.{name}"
    if key not in components:
        schema = dict(sb.contracts.schema(provider, kind, name))
        schema.pop("$schema", None)
        components[key] = schema
    return {"$ref": f"#/components/schemas/{key}"}


def accepts(model, required: bool = True):
    """Mark a handler as validating its JSON body with pydantic `model`, so this document types it."""
    def mark(handler):
        handler.body_model, handler.body_required = model, required
        return handler
    return mark


def _model_ref(components: dict, model) -> dict:
    """A pydantic model's JSON Schema among the components (its nested models beside it)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build(app: web.Application, sb: Sandbox) -> dict:
    """The document, built from the router and the contracts."""
    paths: dict = {}
    components: dict = {}
    for segment, method, path, handler in _routes(app):
        if "{" in path and ":" in path:
            continue  # regex routes (static files) are not API operations
        operation: dict = {
            "tags": [DOCUMENTED[segment]],
            "summary": ((handler.__doc__ or "").strip().splitlines() or [f"{method} {path}"])[0],
            "security": SECURITY[segment] if segment != "_sandbox" or not sb.settings.loopback_only else [],
            "responses": {"default": {"description": "an error in the provider's error envelope"}},
        }
        params = [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
        if params:
            operation["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                       for p in params]
        request_name, status, response_name = BODIES.get((method, path), (None, "200", None))
        if request_name:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": _schema_ref(components, sb, segment, "requests", request_name)}}}
        elif getattr(handler, "body_model", None) is not None:
            operation["requestBody"] = {"required": handler.body_required, "content": {"application/json": {
                "schema": _model_ref(components, handler.body_model)}}}
        elif method in ("POST", "PUT") and segment != "_sandbox":  # control calls without a model take no body
            operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}
        response: dict = {"description": "success"}
        if response_name:
            response["content"] = {"application/json": {
                "schema": _schema_ref(components, sb, segment, "responses", response_name)}}
        operation["responses"][status] = response
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "liqx-sandbox", "version": __version__,
                 "description": "LIQX and Mizu as impersonated by the sandbox, and the sandbox's control API."},
        "servers": [{"url": sb.base_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "liqxBearer": {"type": "http", "scheme": "bearer", "description": "liqx_sk_sandbox_…"},
                "mizuBearer": {"type": "http", "scheme": "bearer", "description": "mizu_sk_sandbox_…"},
                "adminToken": {"type": "http", "scheme": "bearer", "description": "SANDBOX_ADMIN_TOKEN"},
            },
        },
    }
