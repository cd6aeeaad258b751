"""ROZO's official TypeScript client from the npm registry, pointed at the sandbox, works unchanged.

`tests/node/rozo-sdk/script.mjs` drives `@rozoai/intent-common` (the pay-common API client of
`@rozoai/intent-pay`, at the version intent-pay pins) against a real sandbox server: create,
read back, register a payin, a keyed create, a fee quote. Its fetch guard refuses any URL outside
the sandbox. Node and npm must be on the machine; under CI=true their absence fails the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.providers.rozo_support import API, get
from tests.support import assert_contract, browser_required

NODE_DIR = Path(__file__).resolve().parents[1] / "node" / "rozo-sdk"
CLIENT = NODE_DIR / "node_modules" / "@rozoai" / "intent-common" / "package.json"


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if browser_required():
            pytest.fail(f"{tool} is required under CI=true for the ROZO SDK test")
        pytest.skip(f"{tool} is not installed")
    return found


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with the SDK installed from package-lock.json (npm ci) when node_modules is missing."""
    node_bin, npm = _need("node"), _need("npm")
    if not CLIENT.exists():
        env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false",
               "npm_config_audit": "false"}
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, env=env, capture_output=True,
                                text=True, timeout=600, check=False)
        assert result.returncode == 0 and CLIENT.exists(), f"npm ci failed:\n{result.stdout}\n{result.stderr}"
    return node_bin


async def run_script(node: str, base_url: str, api_key: str) -> dict:
    # Asynchronously: the sandbox answering the script runs on this same event loop.
    process = await asyncio.create_subprocess_exec(node, "script.mjs", base_url, api_key, cwd=NODE_DIR,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, f"script failed ({process.returncode}):\n{stderr.decode()}\n{stdout.decode()}"
    return json.loads(stdout)


async def test_official_sdk_creates_reads_back_and_registers_a_payin(sandbox, node):
    """The SDK's createPayment, getPayment and updatePaymentPayInTxHash work against the sandbox as against ROZO."""
    out = await run_script(node, sandbox.base_url, sandbox.key("rozo"))
    assert json.loads(CLIENT.read_text())["version"] == out["sdkVersion"] == "0.1.13"
    for name in ("created", "fetched", "payin", "merchant"):
        assert_contract("rozo", "responses", "payment", out[name])
    assert_contract("rozo", "responses", "fee-quote", out["quote"])
    assert out["created"] == out["fetched"] and out["payin"]["status"] == "payment_started"
    assert out["merchant"]["appId"] == "merchant_sandbox"

    calls = [(r["method"], r["url"].removeprefix(sandbox.base_url)) for r in out["requests"]]
    payment_id = out["created"]["id"]
    assert calls[:3] == [("POST", API), ("GET", f"{API}/payments/{payment_id}"),
                         ("POST", f"{API}/payments/{payment_id}/payin")]
    assert ("POST", f"{API}/payments?dryrun=true") in calls
    sdk_own = out["requests"][:3]
    assert all(r["authorization"].startswith("Bearer ") and r["apiKey"] is None for r in sdk_own)
    assert out["blocked"] and all(not url.startswith(sandbox.base_url) for url in out["blocked"])

    # The payment the SDK registered carries on to completion on the sandbox clock.
    await sandbox.advance(2)
    await sandbox.advance(5)
    assert (await get(sandbox, payment_id))["status"] == "payment_payout_completed"
