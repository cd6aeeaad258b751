"""`/_sandbox/openapi.json` is a valid OpenAPI 3.1 document whose every `$ref` resolves."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.support import assert_contract, credentials


def _refs(node, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append(node["$ref"])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _resolve(document: dict, ref: str):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


async def test_openapi_document_is_valid_and_every_ref_resolves(sandbox):
    """openapi-spec-validator accepts the document, and each `$ref` (list items included) points at a schema."""
    status, document, _ = await sandbox.request("GET", "/_sandbox/openapi.json")
    assert status == 200
    validate(document)
    refs = _refs(document, [])
    assert "#/components/schemas/liqx.responses.intent-list/$defs/intent" in refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        assert isinstance(_resolve(document, ref), dict), ref


async def test_list_items_are_checked_through_their_rebased_refs(sandbox):
    """A LIQX list answer validates against the document's schema, and a bad item inside it does not."""
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    from tests.providers.liqx_support import create_payin

    await create_payin(sandbox)
    status, listed, _ = await sandbox.request("GET", "/liqx/v1/intents", headers=credentials(sandbox, "liqx"))
    assert status == 200 and len(listed["data"]) == 1
    assert_contract("liqx", "responses", "intent-list", listed)
    _, document, _ = await sandbox.request("GET", "/_sandbox/openapi.json")
    registry = Registry().with_resource("urn:doc", DRAFT202012.create_resource(document))
    validator = Draft202012Validator({"$ref": "urn:doc#/components/schemas/liqx.responses.intent-list"},
                                     registry=registry)
    assert list(validator.iter_errors(listed)) == []
    broken = {**listed, "data": [{**listed["data"][0], "status": 7}]}
    assert list(validator.iter_errors(broken)), "the items are really checked"


async def test_openapi_documents_the_worlds_api_and_not_the_inspector_pages(sandbox):
    """Worlds and grades are operations with their body models and 201 on create; the inspector's HTML pages are not."""
    status, document, _ = await sandbox.request("GET", "/_sandbox/openapi.json")
    assert status == 200
    paths = document["paths"]
    assert set(paths["/_sandbox/worlds"]) == {"get", "post"}
    assert set(paths["/_sandbox/worlds/{world_id}"]) == {"get", "delete"}
    create = paths["/_sandbox/worlds"]["post"]
    assert "201" in create["responses"] and "200" not in create["responses"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/WorldBody"}
    assert "201" in paths["/_sandbox/grades"]["post"]["responses"]
    assert "201" in paths["/_sandbox/faults"]["post"]["responses"]
    assert "200" in paths["/_sandbox/worlds"]["get"]["responses"]
    assert not [path for path in paths if path.startswith("/_sandbox/ui")]


async def test_a_providers_errors_are_documented_as_its_error_contract(sandbox):
    """Every LIQX and Mizu operation's `default` answer is the provider's error envelope, which a real
    error answer fits; the control API's errors are the sandbox's own and carry no schema."""
    _, document, _ = await sandbox.request("GET", "/_sandbox/openapi.json")
    for path, operations in document["paths"].items():
        for operation in operations.values():
            default = operation["responses"]["default"]
            provider = path.strip("/").split("/", 1)[0]
            if provider == "_sandbox":
                assert "content" not in default, path
            else:
                assert default["content"]["application/json"]["schema"] == {
                    "$ref": f"#/components/schemas/{provider}.responses.error"}, path
    status, error, _ = await sandbox.request("GET", "/liqx/v1/intents/lqi_missing", headers=credentials(sandbox, "liqx"))
    assert status == 404
    assert_contract("liqx", "responses", "error", error)


async def test_hosted_page_calls_are_documented_public_with_their_contracts(sandbox):
    """A pay page's and a widget's own calls need no credential, and carry their statuses and contracts:
    a start is 201 with the pay state, an event post is 202 with its browser contract."""
    _, document, _ = await sandbox.request("GET", "/_sandbox/openapi.json")
    start = document["paths"]["/mizu/pay/{link_id}/payments"]["post"]
    assert start["security"] == []
    assert start["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/mizu.responses.pay-state"}
    assert start["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/mizu.requests.start-payment"}
    event = document["paths"]["/liqx/widget/{token}/events"]["post"]
    assert event["security"] == [] and "202" in event["responses"]
    assert event["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/liqx.browser.widget-message"}
    assert document["paths"]["/liqx/v1/payin-intents"]["post"]["security"] == [{"liqxBearer": []}]
