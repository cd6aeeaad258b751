"""Every statement a request path runs is answered from an index: no full table scan.

Every statement is confined to one world, so each fragment below names the default world (but for
the delete of a world made for it).

The store's connection reports each statement it runs (values filled in); the test drives the hot
request paths of every provider over real HTTP — create, get, list, provider-key lookups, webhooks
with fault rules, retries, timers, receipts, the inspector's timeline — and then asks SQLite for
each statement's query plan. A `SCAN <table>` that uses no index fails the test, unless the
statement only walks a table in key order up to a LIMIT (no WHERE), which reads LIMIT rows.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.providers import inqud_support, mizu_support, rozo_support
from tests.providers.liqx_support import PAYIN, create_payin
from tests.support import credentials

#: Query plans are SQLite's (EXPLAIN QUERY PLAN); PostgreSQL plans its own with statistics.
pytestmark = pytest.mark.sqlite_only

SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")
#: A fragment of SQL each hot path must have run, so the check below covers it.
HOT_PATHS = {
    "create": "INSERT INTO intents",
    "get by id": "FROM intents WHERE world = 'default' AND provider = 'liqx' AND id =",
    "list": "FROM intents i WHERE i.world = 'default' AND i.provider = 'liqx' AND i.account = '' AND i.status",
    "ROZO account list": "i.account = 'merchant_sandbox'",
    "ROZO key lookups": "k.provider = 'rozo'",
    "Mizu list by link": "k.provider = 'mizu' AND k.kind = 'link'",
    "due deliveries": "FROM deliveries d JOIN events e",
    "due jobs": "FROM jobs WHERE world = 'default' AND done = 0 AND due_ms <=",
    "receipts read": "FROM receipts WHERE world = 'default' AND provider =",
    "fault rules for a delivery": "attempt IS",
    "fault rules for an API call": "upper(method)",
    "receiver instruction": "FROM faults WHERE world = 'default' AND action = 'receiver_answer'",
    "timeline read": "FROM timeline WHERE world = 'default' AND provider =",
    "world delete": "DELETE FROM intents WHERE world = 'wld_",
    "provider reset": "DELETE FROM intents WHERE world = 'default' AND provider = 'inqud'",
}


#: Where several indexes would do, the plan's first step must use the one made for the lookup: without
#: statistics SQLite picks among equally good-looking ones, and a provider-wide index walks every row.
FIRST_STEP = {
    "intent_keys k CROSS JOIN intents i": "SEARCH k USING PRIMARY KEY",
    "i.account = 'merchant_sandbox' AND i.status": "intents_by_account",
    "AND i.external_ref =": "intents_by_ref",
    "i.account = '' AND i.status": "intents_by_account",
    "FROM deliveries d JOIN events e": "deliveries_due",
    "FROM jobs WHERE world = 'default' AND done = 0 AND due_ms": "jobs_due",
    "FROM timeline WHERE": "timeline_of_intent",
    "FROM receipts WHERE world = 'default' AND provider = 'liqx' AND intent_id": "receipts_by_intent",
    "FROM faults WHERE world = 'default' AND action IN": "faults_by_action",
}


def plan_of(conn: sqlite3.Connection, sql: str) -> list[str]:
    """SQLite's query plan for a statement, one line per step."""
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def wrong_first_steps(db_path: str, statements: list[str]) -> dict[str, str]:
    """Each statement of `FIRST_STEP` whose plan starts elsewhere, with that first step."""
    found = {}
    with sqlite3.connect(db_path) as conn:
        for sql in statements:
            for fragment, step in FIRST_STEP.items():
                if fragment in sql and step not in plan_of(conn, sql)[0]:
                    found[sql] = plan_of(conn, sql)[0]
    return found


def full_scans(db_path: str, statements: list[str]) -> dict[str, list[str]]:
    """Each statement whose plan reads a whole table without an index, with those plan lines."""
    found = {}
    with sqlite3.connect(db_path) as conn:
        for sql in statements:
            plan = plan_of(conn, sql)
            scans = [line for line in plan if SCAN.match(line) and "CONSTANT ROW" not in line]
            bounded_walk = " WHERE " not in sql.upper() and " LIMIT " in sql.upper()
            if scans and not bounded_walk:
                found[sql] = plan
    return found


async def drive_hot_paths(sandbox) -> None:
    """One pass over the request paths partners and the dispatcher hit most."""
    liqx_headers = credentials(sandbox, "liqx")
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "bad_signature", "attempt": 2})
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "api_error", "times": 1,
                                              "match": {"method": "GET", "path": "/liqx/v1/intents/none"}})
    await sandbox.control("PUT", "/receiver/liqx", {"status": 500, "times": 1})
    status, intent, _ = await create_payin(sandbox, {**PAYIN, "external_ref": "plan-1"},
                                           **{"Idempotency-Key": "plan-key"})
    assert status == 201, intent
    intent_id = intent["intent_id"]
    for path in (f"/liqx/v1/intents/{intent_id}", "/liqx/v1/intents/none", "/liqx/v1/intents?limit=5",
                 "/liqx/v1/intents?status=CREATED", "/liqx/v1/intents?external_ref=plan-1"):
        await sandbox.request("GET", path, headers=liqx_headers)
    await sandbox.control("POST", f"/intents/liqx/{intent_id}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    await sandbox.advance(60)  # the receiver answered 500 once: the retry is due later
    for query in ("", f"?intent_id={intent_id}", "?external_ref=plan-1", "?type=transaction.completed"):
        status, _, _ = await sandbox.request("GET", "/api/webhooks/liqx/events" + query)
        assert status == 200
    await sandbox.control("GET", f"/intents/liqx/{intent_id}/timeline")

    payment = await rozo_support.created(sandbox)
    stellar = await rozo_support.created(sandbox, rozo_support.body(
        orderId="PLAN-2", source={"chainId": 1500, "tokenSymbol": "USDC", "amount": "3.00"}))
    key = sandbox.key("rozo")
    tx = "0x" + "5c" * 32
    await rozo_support.payin(sandbox, payment["id"], tx, "0x" + "11" * 20, key=key)
    source = stellar["source"]
    for path in (f"/payments/{payment['id']}", f"/payments/order/merchant_sandbox/{payment['orderId']}",
                 f"/payments/check?txHash={tx}", f"/payments/check?sourceTxHash={tx}",
                 f"/payments/check?destinationTxHash={tx}",
                 f"/payments/check?receiverAddress={source['receiverAddress']}&receiverMemo={source['receiverMemo']}"):
        await sandbox.request("GET", rozo_support.API + path, headers=rozo_support.keyed(key))
    await sandbox.request("GET", rozo_support.API + "/payments?limit=5&status=payment_started",
                          headers=rozo_support.keyed(key))
    await sandbox.advance(30)  # payin confirmed, payout, completion: webhooks and timers

    link = await mizu_support.create_link(sandbox)
    opened = await mizu_support.open_payment(sandbox, link["id"], reference="plan-ref")
    await mizu_support.press(sandbox, opened, "paid")
    for query in ("clientReferenceId=plan-ref", f"paymentLinkId={link['id']}", "status=1"):
        await sandbox.request("GET", f"/mizu/api/v1/payments?{query}", headers=credentials(sandbox, "mizu"))
    await sandbox.request("GET", f"/mizu/api/v1/payments/{opened['id']}", headers=credentials(sandbox, "mizu"))
    await sandbox.advance(30)

    status, checkout, _ = await inqud_support.create_checkout(sandbox)
    assert status == 200, checkout
    await inqud_support.get_checkout(sandbox, checkout["id"])
    await sandbox.control("POST", "/reset", {"provider": "inqud"})

    status, world, _ = await sandbox.request("POST", "/_sandbox/worlds", json={})
    assert status == 201, world
    status, _, _ = await sandbox.request("DELETE", f"/_sandbox/worlds/{world['id']}")
    assert status == 200


async def test_hot_request_paths_scan_no_table(sandbox, tmp_path):
    """Create, get, list, key lookups, deliveries, timers, receipts, fault rules, timelines, resets and
    world deletes all use indexes."""
    statements: list[str] = []
    sandbox.sb.store.trace(statements.append)
    try:
        await drive_hot_paths(sandbox)
    finally:
        sandbox.sb.store.trace(None)
    queries = sorted({s for s in statements if s.split(None, 1)[0].upper() in ("SELECT", "UPDATE", "DELETE", "INSERT")})
    fragments = {**HOT_PATHS, **{fragment: fragment for fragment in FIRST_STEP}}
    missing = [name for name, fragment in fragments.items() if not any(fragment in s for s in queries)]
    assert missing == [], f"hot paths not exercised: {missing}"
    assert full_scans(str(tmp_path / "sandbox.db"), queries) == {}
    assert wrong_first_steps(str(tmp_path / "sandbox.db"), queries) == {}


def test_a_filter_without_an_index_would_be_caught(tmp_path):
    """The check itself fails on a filtered read of a column no index covers."""
    db = str(tmp_path / "plain.db")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    assert list(full_scans(db, ["SELECT * FROM t WHERE v = 'x'"])) == ["SELECT * FROM t WHERE v = 'x'"]
    assert full_scans(db, ["SELECT * FROM t ORDER BY id DESC LIMIT 5", "SELECT * FROM t WHERE id = 1"]) == {}
