"""Smoke test of the benchmarks in `bench/`: each runs end to end with `--quick` and prints a ratio.

No figure is asserted (timings on a shared machine mean nothing in a test); this only keeps the
benchmarks from rotting as the code under them changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ("bench_create.py", "bench_delivery.py", "bench_lateness.py", "bench_scale.py", "bench_worlds.py",
           "bench_postgres.py", "bench_compare.py", "bench_http_floor.py")
#: Arguments a benchmark needs besides `--quick` (the comparison: the revision to measure the working tree against).
ARGUMENTS = {"bench_compare.py": ["HEAD"]}


def test_every_benchmark_runs_quick_and_prints_its_ratio_to_a_baseline():
    """Each benchmark, run with --quick in its own process, exits 0, prints a line with its ratio and
    leaves no file behind (a full run's databases take up to half a gigabyte each).

    Their databases and logs go to a directory of this test's (`TMPDIR`), removed after it. The
    directory is a short one under the system's temporary directory, not pytest's: a PostgreSQL
    benchmark's socket lives in it, and a socket's path has at most 107 bytes.
    """
    tmp = tempfile.mkdtemp(prefix="bench-smoke-")
    os.chmod(tmp, 0o755)   # the PostgreSQL benchmark's server runs as its own user and must reach its directory
    env = {**os.environ, "TMPDIR": tmp}
    procs = {name: subprocess.Popen([sys.executable, str(ROOT / "bench" / name), "--quick", *ARGUMENTS.get(name, [])],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name in BENCHES}
    outputs = {}
    try:
        for name, proc in procs.items():
            outputs[name] = proc.communicate(timeout=240)[0]
        left = sorted(p.name for p in Path(tmp).iterdir())
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    for name, proc in procs.items():
        assert proc.returncode == 0, f"{name} failed:\n{outputs[name]}"
        assert "ratio" in outputs[name], f"{name} printed no ratio:\n{outputs[name]}"
    assert not left, f"the benchmarks left {left} in the temporary directory"


def test_a_failed_run_keeps_its_directory_and_says_where(tmp_path, monkeypatch, capsys):
    """A run that fails keeps its databases and logs, naming the directory; a finished one or `--help` does not."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from common import scratch

    with scratch("bench-ok-") as finished:
        (finished / "s.db").write_bytes(b"x")
    with pytest.raises(SystemExit), scratch("bench-help-") as helped:
        raise SystemExit(0)
    with pytest.raises(RuntimeError), scratch("bench-failed-") as failed:
        (failed / "sandbox.log").write_text("why it failed")
        raise RuntimeError("only 3 of 100 delivered")
    assert not finished.exists() and not helped.exists()
    assert (failed / "sandbox.log").read_text() == "why it failed"
    assert str(failed) in capsys.readouterr().err


def test_a_file_another_program_keeps_at_a_fixed_path_is_left_as_it_was(tmp_path, monkeypatch):
    """What a peer writes at its fixed path during a run (localstripe's state file) is removed, and a
    file that was there before, moved aside meanwhile, is put back as it was, also when the run fails."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from common import set_aside

    fixed, run_dir = tmp_path / "peer.pickle", tmp_path / "run"
    run_dir.mkdir()
    with set_aside(fixed, run_dir):
        fixed.write_bytes(b"the run's")
    assert not fixed.exists()

    fixed.write_bytes(b"the user's")
    with pytest.raises(RuntimeError), set_aside(fixed, run_dir):
        assert not fixed.exists()
        fixed.write_bytes(b"the run's")
        raise RuntimeError("the peer failed")
    assert fixed.read_bytes() == b"the user's"
    assert not list(run_dir.iterdir())
