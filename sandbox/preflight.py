"""Start-up checks that turn a misconfiguration into one line naming the setting and the reason.

`sandbox serve` exits 2 with such a line, never a traceback: a partner's CI log should say
`--port 99999: must be at most 65535`, not forty lines of pydantic or sqlite internals. Two
kinds of problem are caught here:

- values that do not validate (`explain` rewrites pydantic's errors, naming the setting the way
  the user wrote it: a flag, a `SANDBOX_*` variable or a key of the config file);
- values that validate as text but cannot work: a URL without scheme or host, a database path
  that is a directory, lies under `/proc` or `/sys`, or is a file that is not SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from sandbox.store.backend import is_postgres

SQLITE_MAGIC = b"SQLite format 3\x00"
PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev")

#: pydantic error type -> plain reason (`{ge}` etc. filled from the error's context).
REASONS = {
    "int_parsing": "must be a whole number", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "float_parsing": "must be a number", "float_type": "must be a number",
    "bool_parsing": "must be true or false", "bool_type": "must be true or false",
    "string_type": "must be text", "list_type": "must be a list", "dict_type": "must be a table",
    "model_type": "must be a table", "model_attributes_type": "must be a table",
    "greater_than_equal": "must be at least {ge}", "less_than_equal": "must be at most {le}",
    "greater_than": "must be greater than {gt}", "less_than": "must be less than {lt}",
    "extra_forbidden": "is not a known setting", "missing": "is required",
    "literal_error": "must be one of {expected}",
}


class Layer:
    """One configuration source as read: its values and how it names a setting."""

    def __init__(self, kind: str, values: Mapping[str, Any], file: str | Path | None = None) -> None:
        self.kind, self.values, self.file = kind, values, file

    def holds(self, loc: tuple) -> bool:
        node: Any = self.values
        for part in loc:
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return True

    def name(self, loc: tuple, value: Any) -> str:
        dotted = ".".join(str(p) for p in loc)
        if self.kind == "flag":
            return f"--{dotted.replace('_', '-')} {_number(value)}"
        if self.kind == "env":
            parts = loc[1:] if loc[0] == "providers" else loc  # SANDBOX_LIQX_WEBHOOK_URL
            return "SANDBOX_" + "_".join(str(p) for p in parts).upper() + f"={value}"
        return f"{dotted} = {_toml(value)} in {self.file}"


def _number(value: Any) -> Any:
    """-1.0 as -1: argparse makes floats of what the user typed as whole numbers."""
    return f"{value:g}" if isinstance(value, float) else value


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def setting_name(loc: tuple, value: Any, layers: Iterable[Layer]) -> str:
    """How the user wrote the setting at `loc`: the highest-precedence source that holds it."""
    for layer in layers:
        if layer.holds(loc):
            return layer.name(loc, value)
    return f"{'.'.join(str(p) for p in loc)} {value}"  # a default


def explain(exc: ValidationError, layers: Iterable[Layer], prefix: tuple = ()) -> str:
    """Each pydantic error as `<setting as written>: <reason>`, one per line."""
    layers = list(layers)
    lines = []
    for error in exc.errors():
        loc = (*prefix, *error["loc"])
        template = REASONS.get(error["type"])
        if template is not None:
            reason = template.format(**{k: _number(v) for k, v in (error.get("ctx") or {}).items()})
        else:
            reason = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{setting_name(loc, error.get('input'), layers)}: {reason}")
    return "\n".join(lines)


def url_problem(value: str) -> str | None:
    """Why `value` is not an absolute http(s) URL, or None when it is one."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is no number or out of range
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http:// or https:// URL with a host"
    return None


def database_problem(path: str) -> str | None:
    """Why the database `path` names cannot be used, or None (a missing SQLite file is created).

    A `postgresql://` URL is the store's to open; any other URL scheme is refused here, never
    opened as a file path.
    """
    if "://" in path:
        scheme = urlsplit(path).scheme
        if scheme in ("postgresql", "postgres"):
            return None
        return (f"unsupported database URL scheme {scheme!r}: give a SQLite file path or "
                "postgresql://user:password@host:port/dbname")
    if path == ":memory:":
        return None
    target = Path(path).expanduser().resolve()
    pseudo = next((p for p in PSEUDO_FILESYSTEMS if target.is_relative_to(p)), None)
    if pseudo is not None:
        return f"is under {pseudo}, a kernel file system that cannot hold a database"
    if target.is_dir():
        return "is a directory; give a file path such as ./.sandbox/sandbox.db"
    if target.exists():
        try:
            with open(target, "rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        if head and head != SQLITE_MAGIC:
            return "is not a SQLite database (refusing to overwrite it)"
        return None
    parent = next((p for p in target.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"cannot be created: {parent} is a file, not a directory"
    return None


def problems(settings, layers: Iterable[Layer], known: Sequence[str]) -> list[str]:
    """What validated but cannot work: unknown provider tables (`known` names the providers), URLs, the database path."""
    layers = list(layers)
    found = []
    for name in settings.providers:
        if name not in known:  # only a config file can name a provider table that does not exist
            where = next((f" in {layer.file}" for layer in layers if layer.holds(("providers", name))), "")
            found.append(f"[providers.{name}]{where}: unknown provider; known: {', '.join(known)}")
    urls = [(("public_url",), settings.public_url)]
    urls += [(("providers", name, "webhook_url"), p.webhook_url) for name, p in settings.providers.items()]
    for loc, value in urls:
        reason = url_problem(value) if value is not None else None
        if reason:
            found.append(f"{setting_name(loc, value, layers)}: {reason}")
    reason = database_problem(settings.db)
    if reason:
        found.append(f"{setting_name(('db',), settings.db, layers)}: {reason}")
    elif settings.delivery_process and is_postgres(settings.db):
        found.append(f"{setting_name(('delivery_process',), True, layers)}: SQLite only; on PostgreSQL run more "
                     "replicas instead (each makes webhook attempts)")
    if settings.delivery_process and os.name != "posix":
        found.append(f"{setting_name(('delivery_process',), True, layers)}: needs a POSIX system (Linux, macOS)")
    return found
