"""CI runs the example partner app's own suite exactly as a partner's CI would (examples/partner-app).

The example is a separate project with its own pytest.ini (rootdir, `pythonpath`, asyncio mode),
so it runs in a subprocess from its own folder rather than being collected under this repository's
configuration: that is the only way to prove the setup a partner copies works as written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "partner-app"


def test_partner_app_suite_passes_with_the_plugin(tmp_path):
    """`pytest` in examples/partner-app passes every test, against an in-process sandbox, with no warning."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_") and k != "PYTEST_ADDOPTS"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run")],
        cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary.startswith("5 passed") and "warning" not in summary, summary
