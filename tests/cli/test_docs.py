"""The README's and docs' shell examples work as written, against a live server.

A fenced ```sh block directly preceded by `<!-- runnable -->` is an example a reader can paste:
each runs under `bash -euo pipefail` with `SANDBOX_URL` pointing at a fresh `sandbox serve` and
this checkout's `sandbox` first on `PATH`, and must exit 0. Blocks that start a server or open a
browser are left unmarked (see docs/control-api.md, "Examples").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import clean_env, start_server
from tests.support import browser_required

ROOT = Path(__file__).resolve().parents[2]
MARKED = re.compile(r"<!-- runnable -->\n```sh\n(.*?)\n```", re.S)


def runnable_blocks() -> list[tuple[str, str]]:
    """(file:line, script) for every marked block of README.md and docs/*.md."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in MARKED.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return found


BLOCKS = runnable_blocks()


def test_every_document_with_shell_examples_marks_runnable_ones():
    """README, the control API and every provider's quick start have runnable examples."""
    files = {where.split(":")[0] for where, _ in BLOCKS}
    assert {"README.md", "docs/control-api.md", "docs/liqx.md", "docs/rozo.md", "docs/inqud.md",
            "docs/mizu.md"} <= files


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    missing = [tool for tool in ("curl", "jq") if shutil.which(tool) is None]
    if missing:  # like Chromium: .ci/run installs them, and under CI=true their absence fails
        if browser_required():
            pytest.fail(f"{', '.join(missing)} missing; .ci/run installs them")
        pytest.skip(f"{', '.join(missing)} not installed")
    server = start_server(tmp_path_factory.mktemp("docs"), "--seed", "1")
    yield server
    server.stop()


@pytest.mark.parametrize("where,script", BLOCKS, ids=[where for where, _ in BLOCKS])
def test_marked_shell_example_exits_zero(live, where, script, tmp_path):
    """The example runs to the end without an error against a live sandbox."""
    env = clean_env(SANDBOX_URL=live.url, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{where} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
