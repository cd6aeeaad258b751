"""The built wheel is the product: installed into a fresh venv it serves a full LIQX flow from an
empty directory, with contracts, scenarios and pages read from inside the package.

The venv is created without pip and without access to this checkout; `pip --python` installs the
wheel into it, resolving the runtime dependencies from the same index (and cache) pip used for
the project's own install. That needs no network beyond what the README's install needed, and
proves the wheel's dependency list is complete (`--system-site-packages` would hide a missing one).
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from tests.live import clean_env, http, start_server

ROOT = Path(__file__).resolve().parents[2]


def build_wheel(tmp: Path) -> Path:
    """Build from a copy holding only what an sdist holds, so nothing outside `sandbox/` can leak in."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "sandbox", src / "sandbox", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(src)],
                   check=True, capture_output=True)
    (wheel,) = (tmp / "dist").glob("liqx_sandbox-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
                   check=True, capture_output=True)
    return venv / "bin" / "sandbox"


def test_wheel_installed_in_a_fresh_venv_serves_a_liqx_flow_from_an_empty_directory(tmp_path):
    """pip install <wheel>; `sandbox serve` from an empty folder creates, completes and delivers a LIQX payin."""
    script = install(build_wheel(tmp_path), tmp_path / "venv")
    env = clean_env()
    env.pop("PYTHONPATH", None)
    run = tmp_path / "empty"
    run.mkdir()

    version = subprocess.run([str(script), "--version"], cwd=run, env=env, capture_output=True, text=True)
    assert version.stdout.strip() == f"liqx-sandbox {metadata.version('liqx-sandbox')}"
    where = subprocess.run([str(tmp_path / "venv" / "bin" / "python"), "-c", "import sandbox; print(sandbox.__file__)"],
                           cwd=run, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(tmp_path / "venv")), "the installed copy, not this checkout"

    server = start_server(run, command=[str(script)], env=env)
    try:
        assert (run / ".sandbox" / "sandbox.db").exists(), "the default database is created in the working folder"
        _, config = server.call("GET", "/_sandbox/config")
        liqx = config["providers"]["liqx"]
        auth = {"Authorization": f"Bearer {liqx['api_key']}"}
        status, intent = http("POST", liqx["base_url"] + "/payin-intents", {
            "external_ref": "wheel-1", "external_user_id": "user-1", "depositor_name": "홍길동",
            "amount_krw": "10000", "amount_usdt": "7.25"}, auth)
        assert status == 201, intent
        status, moved = server.call("POST", f"/_sandbox/intents/liqx/{intent['intent_id']}/transition",
                                    {"to": "COMPLETED"})
        assert status == 200 and moved["object"]["status"] == "COMPLETED"

        receipt = None
        deadline = time.monotonic() + 15
        while receipt is None and time.monotonic() < deadline:
            _, read = server.call("GET", f"/api/webhooks/liqx/events?intent_id={intent['intent_id']}")
            receipt = read["data"][0] if read["data"] else None
            time.sleep(0.1)
        assert receipt is not None, "no webhook reached the built-in receiver"
        assert receipt["type"] == "transaction.completed" and receipt["signature_valid"] is True
        # Verified here too, from the documented recipe, not only by the receiver.
        headers = {k.lower(): v for k, v in receipt["headers"].items()}
        expected = hmac.new(liqx["webhook_secret"].encode(), f"{headers['x-liqx-timestamp']}.{receipt['raw_body']}".encode(),
                            hashlib.sha256).hexdigest()
        assert headers["x-liqx-signature"] == f"v1={expected}"
    finally:
        assert server.stop() == 0
