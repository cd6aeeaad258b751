"""Inqud auth: token id + secret, or token id + salt + HMAC-SHA256 signature (body + salt; "" for GET)."""

import json

import pytest

from tests.providers.inqud_support import (
    FIXED,
    base,
    creds,
    hmac_headers,
    secret_headers,
)
from tests.support import contract_issues


async def test_secret_mode_creates_and_reads(sandbox):
    """X-Token-API-Id + X-Token-API-Secret authenticates POST and GET."""
    status, checkout, _ = await sandbox.request("POST", base(sandbox) + "/checkouts", json=FIXED,
                                                headers=secret_headers(sandbox))
    assert status == 200, checkout
    status, _, _ = await sandbox.request("GET", f"{base(sandbox)}/checkouts/{checkout['id']}",
                                         headers=secret_headers(sandbox))
    assert status == 200


async def test_hmac_mode_signs_the_raw_body_plus_salt(sandbox):
    """A POST signed over its exact body bytes plus the salt is accepted; GET signs "" + salt."""
    raw = json.dumps(FIXED, separators=(",", ":"), ensure_ascii=False)
    headers = {**hmac_headers(sandbox, raw), "Content-Type": "application/json"}
    status, checkout, _ = await sandbox.request("POST", base(sandbox) + "/checkouts", data=raw.encode(), headers=headers)
    assert status == 200, checkout
    status, again, _ = await sandbox.request("GET", f"{base(sandbox)}/checkouts/{checkout['id']}",
                                             headers=hmac_headers(sandbox, ""))
    assert status == 200 and again == checkout


async def test_hmac_signature_in_upper_case_hex_is_accepted(sandbox):
    """Hex is hex: an upper-case signature of the right bytes still authenticates."""
    headers = hmac_headers(sandbox, "")
    headers["X-HMAC-SHA256-Signature"] = headers["X-HMAC-SHA256-Signature"].upper()
    status, _, _ = await sandbox.request("GET", f"/inqud/sandbox/projects/{creds(sandbox)['project_id']}", headers=headers)
    assert status == 200


def _wrong_salt(running, raw):
    headers = hmac_headers(running, raw, salt="a" * 64)
    headers["X-Salt"] = "b" * 64
    return headers


def _signed_other_body(running, raw):
    return hmac_headers(running, raw.replace("100", "101"))


def _wrong_secret(running, raw):
    return hmac_headers(running, raw, secret="not-the-secret")


def _salt_missing(running, raw):
    headers = hmac_headers(running, raw)
    del headers["X-Salt"]
    return headers


def _signature_missing(running, raw):
    headers = hmac_headers(running, raw)
    del headers["X-HMAC-SHA256-Signature"]
    return headers


def _wrong_token_id(running, raw):
    return {**hmac_headers(running, raw), "X-Token-API-Id": "TKN-00000000-0000-4000-8000-000000000000"}


def _no_token_id(running, raw):
    headers = secret_headers(running)
    del headers["X-Token-API-Id"]
    return headers


def _wrong_api_secret(running, raw):
    return {**secret_headers(running), "X-Token-API-Secret": "wrong"}


def _empty_api_secret(running, raw):
    return {**secret_headers(running), "X-Token-API-Secret": ""}


def _id_only(running, raw):
    return {"X-Token-API-Id": creds(running)["api_id"]}


BAD = [_wrong_salt, _signed_other_body, _wrong_secret, _salt_missing, _signature_missing, _wrong_token_id,
       _no_token_id, _wrong_api_secret, _empty_api_secret, _id_only]


@pytest.mark.parametrize("make", BAD, ids=[f.__name__.strip("_") for f in BAD])
async def test_bad_credentials_are_401_and_store_nothing(sandbox, make):
    """A wrong salt signature, a wrong secret, a missing header…: 401 UNAUTHORIZED, nothing created."""
    raw = json.dumps(FIXED)
    headers = {**make(sandbox, raw), "Content-Type": "application/json"}
    status, answer, _ = await sandbox.request("POST", base(sandbox) + "/checkouts", data=raw.encode(), headers=headers)
    assert status == 401, answer
    assert answer["code"] == "UNAUTHORIZED" and not contract_issues("inqud", "responses", "error", answer)
    assert (await sandbox.control("GET", "/intents?provider=inqud"))["data"] == []


@pytest.mark.parametrize("make", [_wrong_salt, _wrong_api_secret, _id_only], ids=["wrong salt", "wrong secret", "id only"])
async def test_bad_credentials_on_get_are_401(sandbox, make):
    """GET endpoints check the same credentials (HMAC over "" + salt)."""
    status, answer, _ = await sandbox.request("GET", f"{base(sandbox)}/checkouts/CCO-x", headers=make(sandbox, ""))
    assert status == 401 and answer["code"] == "UNAUTHORIZED"
    status, answer, _ = await sandbox.request("GET", "/inqud/v1/user/crypto-acquiring/requests/CAPD-x",
                                              headers=make(sandbox, ""))
    assert status == 401


async def test_auth_is_checked_before_the_project(sandbox):
    """Without credentials even an unknown project answers 401, so ids cannot be probed."""
    status, _, _ = await sandbox.request("POST", "/inqud/v1/user/crypto-acquiring/CAP-nope/checkouts", json=FIXED)
    assert status == 401


async def test_configured_credentials_replace_the_generated_ones(tmp_path):
    """SANDBOX_INQUD_API_ID / _API_SECRET / _PROJECT_ID are the credentials a partner configures."""
    from sandbox.settings import load_settings
    from tests.support import start_sandbox, stop_sandbox

    env = {"SANDBOX_INQUD_API_ID": "TKN-6c1296b8-6929-443b-ac06-f732e0e27be1", "SANDBOX_INQUD_API_SECRET": "dBajIp3w",
           "SANDBOX_INQUD_PROJECT_ID": "CAP-df02b127-6717-4a73-a231-5a57155308a5"}
    settings = load_settings({"db": str(tmp_path / "c.db"), "seed": 7}, environ=env)
    running = await start_sandbox(tmp_path, settings=settings)
    try:
        headers = {"X-Token-API-Id": env["SANDBOX_INQUD_API_ID"], "X-Token-API-Secret": "dBajIp3w"}
        url = f"/inqud/v1/user/crypto-acquiring/{env['SANDBOX_INQUD_PROJECT_ID']}/checkouts"
        status, checkout, _ = await running.request("POST", url, json=FIXED, headers=headers)
        assert status == 200 and checkout["projectId"] == env["SANDBOX_INQUD_PROJECT_ID"]
    finally:
        await stop_sandbox(running)
