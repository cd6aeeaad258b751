"""The command line as a person and a script use it: help on every flag, tables by default and
JSON with `--json`, contract names as `contracts list` prints them, and `sandbox trigger`
driving every provider's flows to each outcome on a live server."""

from __future__ import annotations

import argparse
import json
from importlib import metadata

import pytest

from sandbox.cli import build_parser, main
from sandbox.triggers import catalogue
from tests.live import start_server


def _parsers(parser: argparse.ArgumentParser, path: str = "sandbox"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_flag_of_every_command_has_help_without_spec_references():
    """Each option and argument says what it is for; no help text points at SPEC sections."""
    missing, spec = [], []
    for path, parser in _parsers(build_parser()):
        texts = [parser.description or ""]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                texts += [choice.help or "" for choice in action._choices_actions]
                continue
            if not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
            texts.append(action.help or "")
        spec += [f"{path}: {text}" for text in texts if "SPEC" in text or "§" in text]
    assert missing == [] and spec == []


def test_version_prints_the_package_version(capsys):
    """`sandbox --version` prints `liqx-sandbox X.Y.Z` from the package metadata."""
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"liqx-sandbox {metadata.version('liqx-sandbox')}\n"


@pytest.fixture
def payin_files(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"external_ref": "a", "external_user_id": "u", "depositor_name": "홍길동",
                                "amount_krw": "1", "amount_usdt": "1"}), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"external_ref": "a"}), encoding="utf-8")
    return good, bad


def test_contracts_validate_takes_the_listed_name_and_the_three_word_form(capsys, payin_files):
    """`liqx/requests/payin-intent FILE` and `liqx requests payin-intent FILE` both validate."""
    good, bad = payin_files
    main(["contracts", "list"])
    assert "liqx/requests/payin-intent" in capsys.readouterr().out.split()
    assert main(["contracts", "validate", "liqx/requests/payin-intent", str(good)]) == 0
    assert main(["contracts", "validate", "liqx", "requests", "payin-intent", str(good)]) == 0
    capsys.readouterr()
    assert main(["contracts", "validate", "liqx/requests/payin-intent", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "/amount_krw: is required" in out and "issue(s) against liqx/requests/payin-intent" in out
    assert main(["contracts", "validate", "liqx/requests/payin-intent", str(bad), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False and {"field": "/amount_krw", "issue": "is required"} in result["issues"]


@pytest.mark.parametrize("wanted,suggested", [("liqx/request/payin-intent", "liqx/requests/payin-intent"),
                                              ("payin-intent", "liqx/requests/payin-intent"),
                                              ("liqx/requests/payin_intent", "liqx/requests/payin-intent")])
def test_unknown_contract_name_suggests_the_close_ones(capsys, payin_files, wanted, suggested):
    """A misspelt contract exits 2 with `did you mean` naming the right one."""
    assert main(["contracts", "validate", wanted, str(payin_files[0])]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sandbox: no contract {wanted}; did you mean ") and suggested in err


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("cli"), "--quiet")
    yield server
    server.stop()


def test_faults_list_is_a_short_table_and_json_for_scripts(capsys, live):
    """Four rules print as a header and four rows; `--json` gives the control API's list."""
    url = ["--url", live.url]
    assert main(["faults", "clear", *url]) == 0
    for args in (["duplicate", "--provider", "rozo", "--copies", "2", "--spacing-ms", "1000", "--times", "0"],
                 ["bad_signature", "--provider", "liqx", "--attempt", "2"],
                 ["api_error", "--provider", "liqx", "--method", "POST", "--path", "/liqx/v1/nowhere", "--status", "503"],
                 ["delay", "--provider", "mizu", "--delay-ms", "1000"]):
        assert main(["faults", "add", *args, *url]) == 0
    capsys.readouterr()
    assert main(["faults", "list", *url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[0].split()[:3] == ["id", "provider", "action"]
    assert [line.split()[2] for line in lines[1:]] == ["duplicate", "bad_signature", "api_error", "delay"]
    assert main(["faults", "list", "--json", *url]) == 0
    assert len(json.loads(capsys.readouterr().out)["data"]) == 4
    assert main(["faults", "clear", *url]) == 0
    assert capsys.readouterr().out == "deleted 4\n"


def test_clock_show_is_readable_and_bad_input_is_one_error_line(capsys, live):
    """`clock show` prints `now` and `time_scale`; a refused call exits 1 with the reason on stderr."""
    assert main(["clock", "show", "--url", live.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("now ") and "time_scale" in out
    assert main(["clock", "set", "--now", "yesterday", "--url", live.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sandbox: 400 ") and len(err.splitlines()) == 1


TRIGGERS = [(p, f, o) for p, flows in catalogue().items() for f, t in flows.items() for o in t.outcomes]


@pytest.mark.parametrize("provider,flow,outcome", TRIGGERS, ids=["-".join(t) for t in TRIGGERS])
def test_trigger_drives_every_flow_to_each_outcome(capsys, live, provider, flow, outcome):
    """`sandbox trigger P FLOW --outcome O` creates through the provider API and reports its events."""
    assert main(["trigger", provider, flow, "--outcome", outcome, "--json", "--url", live.url]) == 0, \
        capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert result["provider"] == provider and result["outcome"] == outcome and result["id"]
    status, timeline = live.call("GET", f"/_sandbox/intents/{provider}/{result['id']}/timeline")
    assert status == 200 and timeline["intent"]["external_ref"].startswith("trigger-")
    assert any(e["kind"] == "transition" and e.get("by") == "control" for e in timeline["timeline"]), timeline
    _, events = live.call("GET", f"/_sandbox/events?provider={provider}&intent_id={result['id']}")
    assert [e["id"] for e in reversed(events["data"])] == [e["event_id"] for e in result["events"]]


def test_trigger_prints_the_intent_id_and_the_delivered_event(capsys, live):
    """The human output names the intent, the outcome and each event with its delivery status."""
    assert main(["trigger", "liqx", "payin", "--outcome", "completed", "--url", live.url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("liqx payin ") and lines[0].endswith(" -> completed")
    assert lines[1].split() == ["event", "type", "delivery"]
    assert lines[2].split()[1:] == ["transaction.completed", "delivered"]


def test_trigger_with_an_unknown_outcome_lists_the_known_ones(capsys, live):
    """A misspelt outcome exits 2 naming the outcomes that exist, and creates nothing."""
    assert main(["trigger", "liqx", "payin", "--outcome", "complete", "--url", live.url]) == 2
    assert capsys.readouterr().err == ("sandbox: liqx payin has no outcome 'complete'; "
                                       "known: completed, rejected, expired, pending\n")
