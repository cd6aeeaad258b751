"""Operational log lines on stderr (SPEC §13): one per HTTP request, one per webhook attempt.

A failing CI job must leave a trace, so `sandbox serve` writes two kinds of line, one per logger:

- `sandbox.requests`: `METHOD PATH STATUS DURATIONms` for every request the server answered
  (the query string is left out: it may carry `admin_token`), then `world wld_…` when the request
  belonged to a world other than the default one;
- `sandbox.attempts`: provider, event id and type, URL, status or error, duration and attempt
  number for every webhook attempt, dropped ones included (and the world, as for requests).

`--log-format json` writes one object per line instead, with `kind` (`request` or `attempt`) and
the same fields in snake_case. `--quiet` turns both loggers off; the banner is printed, not logged.
Outside `serve` (tests, embedding) nothing is configured, so the lines cost one level check, and
they go through the `logging` module like any other record.

Under `serve`, which owns the handlers, these two kinds of line are written straight to stderr in
the configured format: a `LogRecord` and the handler chain cost about 35 µs a line, a twentieth of
a webhook attempt's CPU. Everything else (warnings, errors) still goes through `logging`.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp.abc import AbstractAccessLogger

from sandbox.keys import WORLD_SANDBOX
from sandbox.worlds import DEFAULT as DEFAULT_WORLD

REQUESTS = logging.getLogger("sandbox.requests")
ATTEMPTS = logging.getLogger("sandbox.attempts")

#: Set by `configure` unless quiet: writes one request or attempt line (its text, its fields).
_direct: Callable[[str, dict], None] | None = None
#: What `configure` was last given (the delivery process writes its attempt lines the same way).
configured: tuple[str, bool] = ("text", False)


def _line(logger: logging.Logger, text: str, fields: dict) -> None:
    if _direct is not None:
        _direct(text, fields)
    else:
        logger.info("%s", text, extra={"fields": fields})


class RequestLog(AbstractAccessLogger):
    """aiohttp's access-log hook: one `request` line per answered request."""

    def log(self, request, response, time: float) -> None:
        fields = {"kind": "request", "method": request.method, "path": request.path,
                  "status": response.status, "duration_ms": round(time * 1000, 1)}
        text = f"{request.method} {request.path} {response.status} {fields['duration_ms']}ms"
        world = request.get(WORLD_SANDBOX)
        if world is not None and world.world.id != DEFAULT_WORLD:
            fields["world"] = world.world.id
            text += f" world {fields['world']}"
        _line(self.logger, text, fields)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def log_attempt(provider: str, event_id: str, event_type: str, attempt: int, record: dict,
                world: str = DEFAULT_WORLD) -> None:
    """One `attempt` line for a finished webhook attempt (`record` is the dispatcher's attempt record)."""
    if _direct is None and not ATTEMPTS.isEnabledFor(logging.INFO):
        return
    fields = {"kind": "attempt", "provider": provider, "event_id": event_id, "event_type": event_type,
              "url": record.get("url"), "status": record.get("status"), "error": record.get("error"),
              "duration_ms": record.get("duration_ms"), "attempt": attempt}
    outcome = fields["status"] if fields["status"] is not None else f"error: {fields['error']}"
    text = f"webhook {provider} {event_id} {event_type} -> {fields['url']} {outcome} {fields['duration_ms']}ms " \
           f"attempt {attempt}"
    if world != DEFAULT_WORLD:
        fields["world"] = world
        text += f" world {world}"
    _line(ATTEMPTS, text, fields)


class TextFormatter(logging.Formatter):
    """Request and attempt lines as they are; anything else (warnings, errors) says its level and logger."""

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "fields", None):
            return record.getMessage()
        return f"{record.levelname} {record.name}: " + super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the record's structured fields, with a wall-clock `ts`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        if not fields:
            fields = {"kind": "log", "level": record.levelname.lower(), "logger": record.name,
                      "message": record.getMessage()}
            if record.exc_info:
                fields["traceback"] = self.formatException(record.exc_info)
        return json_line(record.created, fields)


def json_line(created: float, fields: dict) -> str:
    """One JSON log line: a wall-clock `ts` (epoch seconds `created`), then `fields`."""
    stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"ts": stamp, **fields}, ensure_ascii=False)


def configure(log_format: str = "text", quiet: bool = False) -> None:
    """Send request and attempt lines to stderr in `log_format`, or nowhere when `quiet`.

    Warnings and errors of every other logger also go to stderr (in the same format), quiet or not.
    """
    # One line per request is on the hot path: skip what no line shows (the caller's frame, found by
    # walking the stack, and thread/process names), as the logging HOWTO's "Optimization" section says.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for logger in (REQUESTS, ATTEMPTS):
        logger.setLevel(logging.CRITICAL + 1 if quiet else logging.INFO)
    global _direct, configured
    configured = (log_format, quiet)
    _direct = None if quiet else _write_json if log_format == "json" else _write_text


def _write_text(text: str, fields: dict) -> None:
    _write(text)


def _write_json(text: str, fields: dict) -> None:
    _write(json_line(time.time(), fields))


def _write(line: str) -> None:
    """One line on stderr, flushed (a failing job's last lines must be there), as `StreamHandler` does."""
    stream = sys.stderr
    stream.write(line + "\n")
    stream.flush()
