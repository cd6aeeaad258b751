"""The webhook destination policy (SPEC §10): where a URL is set, and on the address connected to at send time."""

from __future__ import annotations

import pytest

from sandbox.delivery.destinations import DestinationPolicy
from sandbox.delivery.sender import Sender, SendFailed
from sandbox.settings import load_settings
from tests.providers.liqx_support import create_payin
from tests.providers.rozo_support import API, EXAMPLE
from tests.support import credentials, start_sandbox, stop_sandbox

METADATA = "http://169.254.169.254/latest/meta-data/"
OPEN = DestinationPolicy.build(True)
CLOSED = DestinationPolicy.build(False, ["hooks.partner.example", "*.staging.example", "203.0.113.0/24"])


@pytest.mark.parametrize("url", [METADATA, "http://[fe80::1]/x", "http://[::ffff:169.254.169.254]/x",
                                 "ftp://partner.example/x", "file:///etc/passwd", "http:///x", "not a url",
                                 "http://x/" + "a" * 3000])
def test_link_local_metadata_and_non_http_are_refused_even_on_loopback(url):
    """On an open (loopback) policy, link-local addresses, other schemes and broken URLs are still refused."""
    assert OPEN.refuse_url(url) is not None


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "https://partner.example/hooks", "http://10.1.2.3/x"])
def test_bound_to_loopback_any_other_destination_is_allowed(url):
    """On loopback every http(s) destination but link-local is allowed."""
    assert OPEN.refuse_url(url) is None


def test_beyond_loopback_only_the_allow_list_passes():
    """Names, wildcards and CIDRs of the allow-list pass; other addresses and the metadata service do not."""
    assert CLOSED.refuse_address("hooks.partner.example", "198.51.100.7") is None
    assert CLOSED.refuse_address("a.staging.example", "198.51.100.7") is None
    assert CLOSED.refuse_address("elsewhere.example", "203.0.113.9") is None
    assert "not in SANDBOX_WEBHOOK_ALLOW" in CLOSED.refuse_address("elsewhere.example", "198.51.100.7")
    assert "always refused" in CLOSED.refuse_address("hooks.partner.example", "169.254.169.254")
    assert CLOSED.refuse_url("http://127.0.0.1:8080/x") is not None
    default = DestinationPolicy.build(False)
    assert default.refuse_address("h", "127.0.0.1") is None and default.refuse_address("h", "192.168.1.5") is None
    assert default.refuse_address("h", "8.8.8.8") is not None


def test_answers_are_kept_per_policy_and_bounded(monkeypatch):
    monkeypatch.setattr("sandbox.delivery.destinations.ANSWERS_KEPT", 3)
    strict = DestinationPolicy.build(False, ["10.0.0.0/8"])
    loose = DestinationPolicy.build(True)
    assert strict.refuse_url("http://127.0.0.1/hook") is not None
    assert loose.refuse_url("http://127.0.0.1/hook") is None   # one policy's answer is not another's
    assert strict.refuse_url("http://127.0.0.1/hook") is not None
    for n in range(10):
        assert strict.refuse_url(f"http://10.0.0.{n}/hook") is None
    assert len(strict._answers) <= 3
    assert strict == DestinationPolicy.build(False, ["10.0.0.0/8"])   # the kept answers are not part of it


def test_allow_list_entries_that_are_neither_host_cidr_nor_wildcard_are_a_config_error():
    """A typo in SANDBOX_WEBHOOK_ALLOW fails at start, not at the first webhook."""
    with pytest.raises(ValueError):
        load_settings({}, environ={"SANDBOX_WEBHOOK_ALLOW": "hooks.example,http://x/"})
    settings = load_settings({}, environ={"SANDBOX_WEBHOOK_ALLOW": "hooks.example, 10.0.0.0/8"})
    assert settings.webhook_allow == ["hooks.example", "10.0.0.0/8"]


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                           ("[::1]", True), ("localhost", True), ("127.evil.example", False),
                                           ("0.0.0.0", False), ("10.0.0.1", False)])
def test_loopback_only_is_decided_by_ipaddress_not_by_text(host, loopback):
    """`127.evil.example` is a host name: binding to it needs the admin token."""
    assert load_settings({"host": host}, environ={}).loopback_only is loopback


async def _rebinding(host: str, port: int) -> list[str]:
    """A resolver whose answer changed after the API check (DNS rebinding), as a real one can."""
    return ["198.51.100.7", "169.254.169.254"]


async def test_a_name_resolving_to_link_local_at_send_time_is_refused():
    """The send-time check runs on every resolved address, whatever the name looked like: nothing is sent."""
    sender = Sender(OPEN, resolve=_rebinding)
    with pytest.raises(SendFailed, match="webhook destination refused: .*always refused"):
        await sender.post("http://hooks.partner.example/hook", b"{}", {})
    assert sender.opened == 0


async def test_urls_to_metadata_are_refused_where_they_are_set(sandbox):
    """ROZO create, Inqud project settings and the control API answer 400 naming the URL field."""
    status, body, _ = await sandbox.request("POST", API + "/payments", json={**EXAMPLE, "webhookUrl": METADATA})
    assert status == 400 and body["error"]["code"] == "invalidRequest"
    assert "/webhookUrl" in {f["field"] for f in body["error"]["details"]["fields"]}
    project = f"/inqud/sandbox/projects/{sandbox.sb.credentials['inqud']['project_id']}"
    status, body, _ = await sandbox.request("PUT", project, json={"webhookUrl": METADATA},
                                            headers=credentials(sandbox, "inqud"))
    assert status == 400 and "/webhookUrl" in {d["field"] for d in body["details"]}
    status, body, _ = await sandbox.request("PUT", "/_sandbox/endpoints/liqx", json={"url": "http://[fe80::1]:80/"})
    assert status == 400 and body["error"]["details"][0]["field"] == "/url"
    assert (await sandbox.control("GET", "/intents?provider=rozo"))["data"] == []


async def test_beyond_loopback_a_refused_destination_is_a_failed_attempt_with_a_clear_error(tmp_path, receiver):
    """Bound beyond loopback with a 10/8-only allow-list, `localhost` resolves to a refused address: never sent."""
    running = await start_sandbox(tmp_path, host="0.0.0.0", admin_token="t", webhook_allow=["10.0.0.0/8"])
    admin = {"Authorization": "Bearer t"}
    try:
        url = receiver.url.replace("127.0.0.1", "localhost")
        status, body, _ = await running.request("PUT", "/_sandbox/endpoints/liqx", json={"url": receiver.url},
                                                headers=admin)
        assert status == 400, "an IP literal outside the list is refused where it is set"
        status, body, _ = await running.request("PUT", "/_sandbox/endpoints/liqx", json={"url": url}, headers=admin)
        assert status == 200, body
        _, intent, _ = await create_payin(running)
        status, _, _ = await running.request("POST", f"/_sandbox/intents/liqx/{intent['intent_id']}/transition",
                                             json={"to": "REJECTED"}, headers=admin)
        assert status == 200
        await running.settle()
        _, listed, _ = await running.request("GET", "/_sandbox/deliveries?provider=liqx", headers=admin)
        [attempt] = listed["data"][0]["attempts"]
        assert attempt["status"] is None and "webhook destination refused" in attempt["error"], attempt
        assert "SANDBOX_WEBHOOK_ALLOW" in attempt["error"]
        assert receiver.requests == []
    finally:
        await stop_sandbox(running)
