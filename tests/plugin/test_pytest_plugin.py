"""The pytest plugin seen from a partner's suite: pytester runs small suites in a subprocess.

Each suite is what a partner would write: it only asks for `sandbox_server`, `sandbox_client` or
`sandbox_world` (the plugin comes from the installed package's `pytest11` entry point) and talks
to the sandbox over HTTP. The outer test asserts the outcome counts, and that the session left no
server thread and raised no warning (the suites run with `filterwarnings = error`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.support import free_socket

pytest_plugins = ["pytester"]

INI = """
[pytest]
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""

# A partner's helper: its LIQX client, here plain urllib with the world's own credentials.
HELPERS = '''
import json
import urllib.error
import urllib.request

PAYIN = {"external_user_id": "partner-user-001", "depositor_name": "Kim", "amount_krw": "10000",
         "amount_usdt": "7.50", "user_email": "buyer@example.com",
         "return_url": "https://partner.example.com/done", "widget_type": "PAYIN"}


def liqx(world, method, path, body=None):
    """Call the world's LIQX API with its API key; returns (status, JSON)."""
    key = world.credentials("liqx")["api_key"]
    request = urllib.request.Request(world.base_url("liqx") + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.load(exc)


def create_payin(world, external_ref):
    status, intent = liqx(world, "POST", "/payin-intents", {**PAYIN, "external_ref": external_ref})
    assert status == 201, intent
    return intent
'''

# For these tests only: which server each worker used, and any sandbox thread still alive once
# the session's fixtures were torn down.
CONFTEST = '''
import json
import os
import threading
from pathlib import Path

import pytest


@pytest.fixture
def record(sandbox_server):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    Path(f"server-{worker}.json").write_text(json.dumps(sandbox_server.url))


def pytest_sessionfinish(session):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    alive = [t.name for t in threading.enumerate() if t.name == "liqx-sandbox"]
    Path(f"threads-{worker}.json").write_text(json.dumps(alive))
'''

PAYIN_TEST = '''
import uuid

from partner_helpers import create_payin, liqx


def test_payin_completes_and_its_webhook_is_delivered(sandbox_client, record):
    """A payin made with the default world's key, forced COMPLETED, reaches the built-in receiver."""
    world = sandbox_client.world()
    intent = create_payin(world, f"order-{uuid.uuid4().hex[:12]}")
    world.transition("liqx", intent["intent_id"], "COMPLETED")
    delivery = world.wait_for_delivery("liqx", intent_id=intent["intent_id"], type="transaction.completed")
    assert delivery["attempts"][-1]["status"] == 200
    assert liqx(world, "GET", "/intents/" + intent["intent_id"])[1]["status"] == "COMPLETED"
'''

IN_PROCESS_SUITE = PAYIN_TEST + '''

def test_server_is_started_in_process(sandbox_server, sandbox_client, record):
    """No URL given: the plugin started a loopback server that needs no admin token."""
    assert sandbox_server.in_process and sandbox_server.url.startswith("http://127.0.0.1:")
    assert sandbox_server.admin_token is None
    assert sandbox_client.health()["status"] == "ok"


def test_same_server_for_the_whole_session(sandbox_server, record):
    """The session fixture is shared: one server URL recorded across the session."""
    import json
    from pathlib import Path
    assert json.loads(Path("server-main.json").read_text()) == sandbox_server.url
    assert sandbox_server.in_process
'''

REMOTE_SUITE = PAYIN_TEST + '''

def test_server_is_the_given_one(sandbox_server, sandbox_client):
    """The fixture names the running server and starts nothing."""
    import os
    assert not sandbox_server.in_process and sandbox_server.url == os.environ["EXPECTED_URL"]
    assert sandbox_client.world().base_url("liqx") == os.environ["EXPECTED_URL"] + "/liqx/v1"
'''

WORLD_SUITE = '''
import pytest
from partner_helpers import create_payin, liqx


def test_payin_in_a_fresh_world_is_delivered(sandbox_world, record):
    """A world of its own: its credentials create the payin, its receiver gets the webhook."""
    assert sandbox_world.id.startswith("wld_")
    intent = create_payin(sandbox_world, "order-world-1")
    sandbox_world.transition("liqx", intent["intent_id"], "COMPLETED")
    delivery = sandbox_world.wait_for_delivery("liqx", intent_id=intent["intent_id"])
    assert delivery["attempts"][-1]["status"] == 200
    assert [e["type"] for e in sandbox_world.events(intent_id=intent["intent_id"])] == ["transaction.completed"]


@pytest.mark.sandbox_world(clock={"now": "2031-01-02T03:04:05Z", "time_scale": 0})
def test_world_options_come_from_the_marker(sandbox_world):
    """The marker's options reach POST /_sandbox/worlds: the world's clock is pinned where asked."""
    assert sandbox_world.clock()["now"].startswith("2031-01-02T03:04:05")
    assert sandbox_world.advance(60)["now"].startswith("2031-01-02T03:05:05")


def test_a_world_deleted_by_its_test_is_gone(sandbox_world):
    """After delete() the world's calls are 404 WORLD_NOT_FOUND, and the fixture's own delete stays quiet."""
    from sandbox.client import SandboxAPIError
    sandbox_world.delete()
    with pytest.raises(SandboxAPIError) as caught:
        sandbox_world.clock()
    assert caught.value.status == 404 and caught.value.code == "WORLD_NOT_FOUND"


def test_earlier_tests_worlds_are_deleted(sandbox_client, sandbox_world):
    """Only the default world and this test's own are left on the server."""
    assert [w["id"] for w in sandbox_client.worlds()] == ["default", sandbox_world.id]
'''

# Two tests that run at the same time on two xdist workers, each in its own world of one shared
# server: each creates an intent, waits (bounded) for the other to have created its own, then
# checks it cannot see the other's intent, events, deliveries or fault rules while both worlds are alive.
ISOLATION_SUITE = '''
import json
import os
import time
from pathlib import Path

import pytest
from partner_helpers import create_payin, liqx


def publish(path, value):
    """Write then rename, so the other test never reads a file that exists but is still empty."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value))
    os.replace(partial, path)


def wait_for(path, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"the other test never wrote {path}"
        time.sleep(0.05)
    return json.loads(path.read_text())


@pytest.mark.parametrize("me, other", [("a", "b"), ("b", "a")])
def test_worlds_cannot_see_each_other(sandbox_world, record, me, other):
    """Concurrent tests in separate worlds: each other's intents are 404, lists hold only their own."""
    intent = create_payin(sandbox_world, f"order-{me}")
    sandbox_world.transition("liqx", intent["intent_id"], "COMPLETED")
    sandbox_world.wait_for_delivery("liqx", intent_id=intent["intent_id"])
    publish(Path(f"created-{me}.json"), {"intent_id": intent["intent_id"], "world": sandbox_world.id})
    theirs = wait_for(Path(f"created-{other}.json"))
    assert theirs["world"] != sandbox_world.id
    status, body = liqx(sandbox_world, "GET", "/intents/" + theirs["intent_id"])
    assert status == 404, body
    assert [i["id"] for i in sandbox_world.intents()] == [intent["intent_id"]]
    assert {e["intent_id"] for e in sandbox_world.events()} == {intent["intent_id"]}
    assert {d["intent_id"] for d in sandbox_world.deliveries()} == {intent["intent_id"]}
    rule = sandbox_world.add_fault({"action": "drop", "provider": "liqx", "times": 0})
    assert [r["id"] for r in sandbox_world.faults()] == [rule["id"]]
    publish(Path(f"checked-{me}.json"), True)
    wait_for(Path(f"checked-{other}.json"))  # keep this world alive until the other has looked
'''


@pytest.fixture
def partner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty partner project: ini, conftest, and no sandbox URL in the environment."""
    monkeypatch.delenv("SANDBOX_URL", raising=False)
    monkeypatch.delenv("SANDBOX_ADMIN_TOKEN", raising=False)
    for name in [name for name in os.environ if name.startswith("PYTEST_XDIST_")]:
        monkeypatch.delenv(name)   # this suite may itself run on an xdist worker: the partner's must not think so
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(partner_helpers=HELPERS)
    return pytester


def run(partner: pytest.Pytester, *args: str) -> pytest.RunResult:
    return partner.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=180)


def recorded(partner: pytest.Pytester, name: str) -> list:
    return [json.loads(p.read_text()) for p in sorted(partner.path.glob(f"{name}-*.json"))]


def assert_no_thread_left(partner: pytest.Pytester) -> None:
    threads = recorded(partner, "threads")
    assert threads and all(alive == [] for alive in threads), threads


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A separately started `sandbox serve` on a free port, shared by this module's tests; its URL."""
    tmp_path = tmp_path_factory.mktemp("served")
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below, after the process
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(port),
                             "--db", str(tmp_path / "served.db")], stdout=log, stderr=subprocess.STDOUT,
                            env={k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")})
    url = f"http://127.0.0.1:{port}"
    try:
        from sandbox.client import SandboxClient, SandboxUnreachable

        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                SandboxClient(url).health()
                break
            except SandboxUnreachable:
                assert time.monotonic() < deadline, "sandbox serve did not start"
                time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        log.close()


def test_in_process_server_serves_a_partner_suite(partner):
    """No URL: one in-process server for the session, a fresh world per test, no thread or warning left behind."""
    partner.makepyfile(test_partner=IN_PROCESS_SUITE, test_worlds=WORLD_SUITE)
    result = run(partner)
    result.assert_outcomes(passed=7, warnings=0)
    assert len(set(recorded(partner, "server"))) == 1
    assert_no_thread_left(partner)


def test_sandbox_url_option_uses_a_running_server_and_wins_over_the_environment(partner, served, monkeypatch):
    """--sandbox-url points the suite at `sandbox serve`; a wrong SANDBOX_URL beside it is ignored."""
    partner.makepyfile(test_remote=REMOTE_SUITE)
    monkeypatch.setenv("EXPECTED_URL", served)
    monkeypatch.setenv("SANDBOX_URL", "http://127.0.0.1:9")  # discard port: nothing answers there
    result = run(partner, "--sandbox-url", served)
    result.assert_outcomes(passed=2, warnings=0)
    assert_no_thread_left(partner)


def test_sandbox_url_from_the_environment(partner, served, monkeypatch):
    """Without the option, SANDBOX_URL names the server."""
    partner.makepyfile(test_env='''
def test_server_comes_from_the_environment(sandbox_server):
    """SANDBOX_URL was used as is."""
    import os
    assert not sandbox_server.in_process and sandbox_server.url == os.environ["SANDBOX_URL"]
''')
    monkeypatch.setenv("SANDBOX_URL", served)
    run(partner).assert_outcomes(passed=1, warnings=0)


def test_unreachable_sandbox_url_is_one_clear_error(partner):
    """A URL with nothing behind it errors the tests that need it, naming the URL."""
    partner.makepyfile(test_down='''
def test_needs_the_server(sandbox_client):
    """Never runs: the server fixture fails first."""
''')
    result = run(partner, "--sandbox-url", "http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*SandboxUnreachable: cannot reach the sandbox at http://127.0.0.1:9*"])


def test_parallel_tests_in_separate_worlds_of_one_server_cannot_see_each_other(partner, served):
    """Two xdist workers share one server; their concurrent worlds never see each other's objects."""
    partner.makepyfile(test_isolation=ISOLATION_SUITE)
    result = run(partner, "-n", "2", "--sandbox-url", served)
    result.assert_outcomes(passed=2)
    from sandbox.client import SandboxClient

    assert [w["id"] for w in SandboxClient(served).worlds()] == ["default"], "both worlds were deleted"


def test_each_xdist_worker_starts_its_own_in_process_server(partner):
    """With -n 2 and no URL each worker has its own server; both stop cleanly."""
    partner.makepyfile(test_workers='''
import pytest
from partner_helpers import create_payin


@pytest.mark.parametrize("n", range(4))
def test_in_a_world(sandbox_world, record, n):
    """Each test's world is fresh: it holds only the intent the test made."""
    intent = create_payin(sandbox_world, f"order-{n}")
    assert [i["id"] for i in sandbox_world.intents()] == [intent["intent_id"]]
''')
    result = run(partner, "-n", "2")
    result.assert_outcomes(passed=4)
    servers = recorded(partner, "server")
    workers = {p.stem.split("-", 1)[1] for p in partner.path.glob("server-*.json")}
    assert workers == {"gw0", "gw1"} and len(set(servers)) == 2
    assert_no_thread_left(partner)
