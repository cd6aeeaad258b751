"""`sandbox contracts list|validate`: the contracts a partner can check fixtures against, offline.

A contract is named as `contracts list` prints it, `provider/kind/name`
(`liqx/requests/payin-intent`); the older three-word form `liqx requests payin-intent` still
works. An unknown name is answered with the closest known ones.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys

from sandbox.tables import table

USAGE = "usage: sandbox contracts validate PROVIDER/KIND/NAME FILE  (or PROVIDER KIND NAME FILE)"


def suggestions(wanted: str, known: list[str], n: int = 3) -> list[str]:
    """Known names close to `wanted`: same last part first, then by similarity."""
    last = wanted.rsplit("/", 1)[-1]
    same_name = [k for k in known if k.rsplit("/", 1)[-1] == last]
    close = difflib.get_close_matches(wanted, known, n=n, cutoff=0.6)
    return list(dict.fromkeys([*same_name, *close]))[:n]


def _parse_target(target: list[str]) -> tuple[str, str] | None:
    if len(target) == 2:
        return target[0].removesuffix(".schema.json"), target[1]
    if len(target) == 4:
        return "/".join(target[:3]).removesuffix(".schema.json"), target[3]
    return None


def validate(args: argparse.Namespace) -> int:
    from sandbox.contracts import Contracts

    parsed = _parse_target(args.target)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    name, path = parsed
    contracts = Contracts()
    known = ["/".join(n) for n in contracts.names()]
    if name not in known:
        hint = suggestions(name, known)
        more = f"; did you mean {' or '.join(hint)}?" if hint else "; `sandbox contracts list` shows them all"
        print(f"sandbox: no contract {name}{more}", file=sys.stderr)
        return 2
    try:
        with open(path, encoding="utf-8") as handle:
            instance = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"sandbox: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    issues = contracts.errors(*name.split("/"), instance)
    if args.json:
        print(json.dumps({"file": path, "contract": name, "valid": not issues,
                          "issues": [i.as_dict() for i in issues]}, ensure_ascii=False, indent=2))
    else:
        for issue in issues:
            print(f"{issue.field}: {issue.issue}")
        print(f"{path}: {'valid' if not issues else f'{len(issues)} issue(s)'} against {name}")
    return 1 if issues else 0


def listing(args: argparse.Namespace) -> int:
    from sandbox.contracts import Contracts

    rows = [{"provider": p, "kind": k, "name": n} for p, k, n in Contracts().names()
            if args.provider in (None, p)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(table(rows, [("contract", lambda r: f"{r['provider']}/{r['kind']}/{r['name']}")], empty="(no contracts)"))
    return 0


def run(args: argparse.Namespace) -> int:
    return listing(args) if args.contracts_command == "list" else validate(args)
