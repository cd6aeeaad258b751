"""The command line in worlds: `sandbox worlds …`, and `--world` on the rehearsal commands."""

from __future__ import annotations

import asyncio
import json

from sandbox.cli import build_parser
from sandbox.remote import run


async def cli(capsys, *argv: str) -> tuple[int, dict]:
    """Run one command as a script would (`--json`) against the test server, in a thread; returns (exit code, JSON)."""
    args = build_parser().parse_args([*argv, "--json"])
    code = await asyncio.to_thread(run, args)
    return code, json.loads(capsys.readouterr().out)


async def test_worlds_create_then_clock_advance_with_world_moves_only_that_world(sandbox, capsys):
    """`worlds create` prints the world; `clock advance --world` moves its clock, not the default world's."""
    code, world = await cli(capsys, "worlds", "create", "--url", sandbox.base_url, "--name", "from-cli",
                            "--now", "2030-01-01T00:00:00Z", "--time-scale", "0")
    assert code == 0 and world["id"].startswith("wld_") and world["name"] == "from-cli"
    code, clock = await cli(capsys, "clock", "advance", "90", "--url", sandbox.base_url, "--world", world["id"])
    assert code == 0 and clock["now"] == "2030-01-01T00:01:30.000Z"
    assert (await sandbox.control("GET", "/clock"))["now"] == "2026-11-22T09:00:00.000Z"
    code, listed = await cli(capsys, "worlds", "list", "--url", sandbox.base_url)
    assert [w["id"] for w in listed["data"]] == ["default", world["id"]]
    code, answer = await cli(capsys, "faults", "list", "--url", sandbox.base_url, "--world", "wld_missing")
    assert code == 1 and answer["error"]["code"] == "WORLD_NOT_FOUND"
    code, _ = await cli(capsys, "worlds", "delete", world["id"], "--url", sandbox.base_url)
    assert code == 0
