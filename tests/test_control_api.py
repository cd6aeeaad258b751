"""The control API's own surface: health, config, reset, clock, endpoints, contracts, OpenAPI."""

import json
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

from sandbox.settings import load_settings
from tests.providers.liqx_support import create_payin, point_at, verify_liqx
from tests.support import db_url


async def test_health_and_config_say_where_everything_is(sandbox):
    """Health answers ok; config names each provider's base URL, keys and the receiver URL."""
    assert (await sandbox.control("GET", "/health"))["status"] == "ok"
    config = await sandbox.control("GET", "/config")
    assert set(config["providers"]) == {"liqx", "rozo", "inqud", "mizu"}
    liqx = config["providers"]["liqx"]
    assert liqx["api_key"].startswith("liqx_sk_sandbox_")
    assert liqx["webhook_url"] == f"{sandbox.base_url}/api/webhooks/liqx"
    assert config["inspector"].endswith("/_sandbox/ui/")


async def test_reset_forgets_one_provider_or_all(sandbox):
    """Reset with a provider forgets only its intents; without, everything."""
    await create_payin(sandbox)
    await sandbox.control("POST", "/reset", {"provider": "mizu"})
    assert len((await sandbox.control("GET", "/intents"))["data"]) == 1
    await sandbox.control("POST", "/reset", {})
    assert (await sandbox.control("GET", "/intents"))["data"] == []
    status, answer, _ = await sandbox.request("POST", "/_sandbox/reset", json={"provider": "nope"})
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"


async def test_clock_can_be_pinned_scaled_and_advanced(sandbox):
    """PUT pins the clock, advance moves it, negative or malformed input is refused."""
    state = await sandbox.control("PUT", "/clock", {"now": "2030-01-01T00:00:00Z", "time_scale": 0})
    assert state == {"now": "2030-01-01T00:00:00.000Z", "time_scale": 0.0}
    state = await sandbox.control("POST", "/clock/advance", {"seconds": 90})
    assert state["now"] == "2030-01-01T00:01:30.000Z"
    for body in ({"seconds": -1}, {"seconds": "x"}, {}):
        status, answer, _ = await sandbox.request("POST", "/_sandbox/clock/advance", json=body)
        assert status == 400 and answer["error"]["code"] == "VALIDATION_FAILED"
    status, _, _ = await sandbox.request("PUT", "/_sandbox/clock", json={"now": "yesterday"})
    assert status == 400


async def test_rotated_secret_signs_beside_the_old_one(sandbox, receiver):
    """After rotate-secret both secrets sign (two v1= values), so either verifies."""
    old = await point_at(sandbox, receiver)
    rotated = await sandbox.control("POST", "/endpoints/liqx/rotate-secret")
    new = rotated["secret"]
    assert new != old and rotated["secrets"] == [new, old]
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    [hit] = receiver.requests
    assert hit["headers"]["X-LIQX-Signature"].count("v1=") == 2
    assert verify_liqx(new, hit["headers"], hit["raw"]) and verify_liqx(old, hit["headers"], hit["raw"])


async def test_contracts_are_listed_and_served_as_json(sandbox):
    """Every listed contract is served and is a valid 2020-12 schema."""
    listed = (await sandbox.control("GET", "/contracts"))["data"]
    assert {c["provider"] for c in listed} == {"liqx", "rozo", "inqud", "mizu"}
    for entry in listed:
        schema = await sandbox.control("GET", f"/contracts/{entry['provider']}/{entry['kind']}/{entry['name']}")
        Draft202012Validator.check_schema(schema)
    status, _, _ = await sandbox.request("GET", "/_sandbox/contracts/liqx/requests/nope")
    assert status == 404


async def test_openapi_document_lists_the_live_routes(sandbox):
    """The OpenAPI document has LIQX, Mizu and control paths, with LIQX bodies from the contracts."""
    doc = await sandbox.control("GET", "/openapi.json")
    assert doc["openapi"] == "3.1.0"
    paths = doc["paths"]
    assert "post" in paths["/liqx/v1/payin-intents"] and "get" in paths["/_sandbox/health"]
    assert "/mizu/api/v1/payment-links" in paths
    assert not any(p.startswith("/rozo") or p.startswith("/inqud") for p in paths)
    ref = paths["/liqx/v1/payin-intents"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[1]
    assert doc["components"]["schemas"][name]["title"] == "Create PAYIN intent"


async def test_openapi_types_every_control_body_from_the_handlers_models(sandbox):
    """Every control call with a body has a typed schema (fields, bounds), none a bare object."""
    doc = await sandbox.control("GET", "/openapi.json")
    schemas = doc["components"]["schemas"]

    def body(path: str, method: str) -> dict:
        schema = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        return schemas[schema["$ref"].rsplit("/", 1)[1]]

    expected = {("/_sandbox/reset", "post"): {"provider"},
                ("/_sandbox/intents/{provider}/{intent_id}/transition", "post"): {"to"},
                ("/_sandbox/faults", "post"): {"provider", "match", "action", "params", "times", "attempt"},
                ("/_sandbox/clock/advance", "post"): {"seconds"}, ("/_sandbox/clock", "put"): {"now", "time_scale"},
                ("/_sandbox/endpoints/{provider}", "put"): {"url", "secret"},
                ("/_sandbox/receiver/{provider}", "put"): {"status", "times", "delay_ms"},
                ("/_sandbox/grades", "post"): {"provider", "target", "cases", "state_url"},
                ("/_sandbox/worlds", "post"): {"name", "seed", "clock", "webhook_urls", "ttl_s", "signature_clock"}}
    for (path, method), fields in expected.items():
        schema = body(path, method)
        assert fields <= set(schema["properties"]) and schema["additionalProperties"] is False, path
    assert body("/_sandbox/intents/{provider}/{intent_id}/transition", "post")["required"] == ["to"]
    assert "duplicate" in body("/_sandbox/faults", "post")["properties"]["action"]["enum"]
    assert body("/_sandbox/receiver/{provider}", "put")["properties"]["status"]["maximum"] == 599
    for path, operations in doc["paths"].items():
        for operation in operations.values() if path.startswith("/_sandbox") else ():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            assert content.get("schema") != {"type": "object"}, path


async def test_unknown_control_path_is_404_json(sandbox):
    """An unknown control path answers JSON 404, not an HTML page."""
    status, answer, _ = await sandbox.request("GET", "/_sandbox/nope")
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"


def test_settings_precedence_flags_env_file_defaults(tmp_path: Path):
    """Flags beat SANDBOX_* variables, which beat the TOML file, which beats the defaults."""
    config = tmp_path / "sandbox.toml"
    config.write_text('port = 9001\nseed = 5\ntime_scale = 60\n[providers.liqx]\napi_key = "from-file"\n'
                      'webhook_secret = "file-secret"\n', encoding="utf-8")
    env = {"SANDBOX_PORT": "9002", "SANDBOX_LIQX_API_KEY": "from-env", "SANDBOX_INQUD_PROJECT_ID": "CAP-env"}
    settings = load_settings({"port": 9003}, environ=env, config_file=config)
    assert settings.port == 9003 and settings.seed == 5 and settings.time_scale == 60
    assert settings.provider("liqx").api_key == "from-env"
    assert settings.provider("liqx").webhook_secret == "file-secret"
    assert settings.provider("inqud").project_id == "CAP-env"
    assert load_settings({}, environ={}).port == 8080


def test_bad_config_file_is_a_clear_error(tmp_path: Path):
    """A config file with an unknown key stops `serve` with exit 2 and names the problem."""
    config = tmp_path / "sandbox.toml"
    config.write_text("prot = 1\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "sandbox", "serve", "--config", str(config)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "prot" in result.stderr


def test_contracts_validate_command_exit_codes(tmp_path: Path):
    """`sandbox contracts validate` exits 0 for a valid file and 1 naming the field otherwise."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"external_ref": "a", "external_user_id": "u", "depositor_name": "홍길동",
                                "amount_krw": "1", "amount_usdt": "1"}), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"external_ref": "a"}), encoding="utf-8")
    run = [sys.executable, "-m", "sandbox", "contracts", "validate", "liqx", "requests", "payin-intent"]
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    failed = subprocess.run([*run, str(bad)], capture_output=True, text=True, timeout=30)
    assert failed.returncode == 1 and "/amount_krw" in failed.stdout


async def test_control_api_beyond_loopback_needs_the_bearer_token(tmp_path):
    """Bound to a non-loopback address, every control call needs Authorization: Bearer <admin token>."""
    from tests.support import start_sandbox, stop_sandbox

    running = await start_sandbox(tmp_path, host="0.0.0.0", admin_token="t0ken")
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic t0ken"}):
            status, answer, _ = await running.request("GET", "/_sandbox/config", headers=headers)
            assert status == 401 and answer["error"]["code"] == "UNAUTHORIZED"
        status, config, _ = await running.request("GET", "/_sandbox/config", headers={"Authorization": "Bearer t0ken"})
        assert status == 200 and config["admin_token_required"] is True
        status, _, _ = await running.request("POST", "/liqx/v1/payin-intents", json={})
        assert status == 401, "provider APIs keep their own auth, not the admin token"
    finally:
        await stop_sandbox(running)


def test_serve_prints_the_banner_once_with_the_real_port(tmp_path: Path):
    """`sandbox serve --port 0` binds a free port and prints every base URL, key and page once."""
    import os
    import signal
    import time

    env = {**os.environ, "SANDBOX_LIQX_API_KEY": "liqx_sk_sandbox_banner"}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", "0", "--db", db_url(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Inspector:" in line:
                break
        banner = "".join(lines)
        port = banner.split("listening on http://127.0.0.1:")[1].split()[0]
        assert port != "0"
        for expected in (f"http://127.0.0.1:{port}/liqx/v1", "liqx_sk_sandbox_banner", "/rozo/functions/v1/payment-api",
                         "/partner/liqx/payin", f"http://127.0.0.1:{port}/_sandbox/ui/", "webhook_secret"):
            assert expected in banner
        assert banner.count("listening on") == 1
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(15)
        proc.stdout.close()
    assert proc.returncode == 0
