"""Names vulture cannot see used: public API called by partners' code and hooks called by frameworks.

Each line names something used outside `sandbox/` (partners, pytest, sqlite3, tests), so dead-code
checks in `tests/test_hygiene.py` stay strict for everything else.
"""
# ruff: noqa
from sandbox.client import World
from sandbox.engine import Sandbox
from sandbox.store.sqlite import SqliteStore

World.set_webhook_url, World.set_clock, World.add_fault, World.clear_faults, World.wait_for_delivery  # SPEC §13 handle
Sandbox.settle  # tests wait for due work
SqliteStore.trace  # the query-plan test's hook
_.row_factory  # sqlite3 reads it
_.enabled  # aiohttp's AbstractAccessLogger asks it before each log call
_._srcfile, _.logThreads, _.logProcesses, _.logMultiprocessing  # the logging module reads them per record
_.loops  # tests prove idle workers never woke
_.opened, _.parked  # tests count the webhook client's connections
_.connection_made, _.data_received, _.connection_lost  # asyncio.Protocol methods the event loop calls
_.eof_received, _.pause_writing, _.resume_writing  # asyncio.Protocol's too (sandbox/web/fastpath.py)
_._server  # aiohttp's BaseSite.stop closes the server a site's start made
_._headers  # aiohttp's HeadersMixin reads it (the API path's request)
_.on_headers_complete, _.on_body, _.on_message_complete, _.on_url, _.on_header  # httptools calls them while parsing
_.in_process  # SandboxServer field read by partners
pytest_addoption, pytest_configure  # pytest hooks
observe  # scenario field shown by docs and the inspector
api_key, api_id, api_secret  # provider settings read by name
exc_info  # context-manager protocol
appId, fromDate, toDate  # ROZO list query members, read through model_dump
_date_time  # registered with jsonschema's FormatChecker by decorator
