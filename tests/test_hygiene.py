"""Code hygiene the linters in CI enforce: no dead code in the package, ruff clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Route handlers and validators are called by aiohttp and pydantic through their decorators.
IGNORED_DECORATORS = "@routes.*,@*.get,@*.post,@*.put,@*.delete,@*validator,@model_validator,@field_validator,@pytest.*"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_package_has_no_dead_code():
    """vulture finds no unused function, class, variable or import in sandbox/ beyond the allow-list."""
    found = _run("vulture", "sandbox", "tests/vulture_allow.py", "--min-confidence", "60",
                 "--ignore-decorators", IGNORED_DECORATORS, "--ignore-names", "model_config")
    assert found.returncode == 0, found.stdout + found.stderr


def test_ruff_is_clean():
    """ruff (pyflakes, pycodestyle, bugbear, import order, pyupgrade) reports nothing."""
    found = _run("ruff", "check", "sandbox", "tests")
    assert found.returncode == 0, found.stdout + found.stderr
