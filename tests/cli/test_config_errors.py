"""A misconfiguration stops `sandbox serve` with one line naming the setting and the reason,
exit code 2 and no traceback, before anything is bound or written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.live import SANDBOX, clean_env


def _serve(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # No `--port 0` here: flags win over the environment and the file, so it would hide port mistakes.
    return subprocess.run([*SANDBOX, "serve", *args], cwd=tmp_path, env=clean_env(**(env or {})),
                          capture_output=True, text=True, timeout=60)


def _toml(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sandbox.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


CASES = {
    "port out of range": (lambda t: ["--port", "99999"], {},
                          "sandbox: --port 99999: must be at most 65535"),
    "port in the environment": (lambda t: [], {"SANDBOX_PORT": "70000"},
                                "sandbox: SANDBOX_PORT=70000: must be at most 65535"),
    "port not a number in TOML": (lambda t: ["--config", _toml(t, 'port = "eighty"\n')], {},
                                  'sandbox: port = "eighty" in {dir}/sandbox.toml: must be a whole number'),
    "negative time scale": (lambda t: ["--time-scale", "-1"], {},
                            "sandbox: --time-scale -1: must be at least 0"),
    "misspelt provider section": (lambda t: ["--config", _toml(t, '[providers.liqxx]\napi_key = "k"\n')], {},
                                  "sandbox: [providers.liqxx] in {dir}/sandbox.toml: unknown provider; "
                                  "known: liqx, rozo, inqud, mizu"),
    "webhook URL not a URL": (lambda t: ["--config", _toml(t, '[providers.liqx]\nwebhook_url = "not a url"\n')], {},
                              'sandbox: providers.liqx.webhook_url = "not a url" in {dir}/sandbox.toml: '
                              "must be an absolute http:// or https:// URL with a host"),
    "webhook URL in the environment": (lambda t: [], {"SANDBOX_ROZO_WEBHOOK_URL": "ftp://files.example.com/hooks"},
                                       "sandbox: SANDBOX_ROZO_WEBHOOK_URL=ftp://files.example.com/hooks: "
                                       "must be an absolute http:// or https:// URL with a host"),
    "public URL not a URL": (lambda t: ["--public-url", "foo"], {},
                             "sandbox: --public-url foo: must be an absolute http:// or https:// URL with a host"),
    "database is a directory": (lambda t: ["--db", str(t)], {},
                                "sandbox: --db {dir}: is a directory; give a file path such as ./.sandbox/sandbox.db"),
    "database under /proc": (lambda t: ["--db", "/proc/sandbox.db"], {},
                             "sandbox: --db /proc/sandbox.db: is under /proc, a kernel file system that cannot hold "
                             "a database"),
    "database not SQLite": (lambda t: ["--db", str(_toml(t, "port = 1\n"))], {},
                            "sandbox: --db {dir}/sandbox.toml: is not a SQLite database (refusing to overwrite it)"),
    "log format in the environment": (lambda t: ["--port", "0"], {"SANDBOX_LOG_FORMAT": "xml"},
                                      "sandbox: SANDBOX_LOG_FORMAT=xml: must be text or json"),
    "unknown key": (lambda t: ["--config", _toml(t, "prot = 1\n")], {},
                    "sandbox: prot = 1 in {dir}/sandbox.toml: is not a known setting"),
}


@pytest.mark.parametrize("case", CASES)
def test_misconfiguration_is_one_line_and_exit_2(tmp_path, case):
    """The message is exactly one line naming the setting as written and why it cannot work."""
    args, env, expected = CASES[case]
    result = _serve(tmp_path, *args(tmp_path), env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr == expected.format(dir=tmp_path) + "\n"
    assert result.stdout == "", "nothing started, so no banner"


def test_not_sqlite_file_is_left_untouched(tmp_path):
    """Refusing a file that is not SQLite leaves its bytes as they were."""
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    assert _serve(tmp_path, "--db", str(notes)).returncode == 2
    assert notes.read_text(encoding="utf-8") == "my notes\n"
