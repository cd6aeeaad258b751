"""Every contract bounds its strings and matches patterns against whole values (SPEC §10)."""

from __future__ import annotations

import pytest

from sandbox.contracts import ID_MAX, NAME_MAX, SECRET_MAX, URL_MAX, string_bound, unbounded_strings
from tests.support import CONTRACTS, contract_issues


@pytest.mark.parametrize("key", CONTRACTS.names(), ids=["/".join(k) for k in CONTRACTS.names()])
def test_every_free_string_has_a_max_length(key):
    """No contract accepts a string of any length: each free string has a `maxLength`."""
    assert unbounded_strings(CONTRACTS.schema(*key)) == []


def test_bounds_follow_what_a_member_holds():
    """URLs 2,048, secrets 256, names 1,000, ids and refs 255."""
    assert (string_bound("webhookUrl"), string_bound("return_url"), string_bound("webhookSecret")) == (
        URL_MAX, URL_MAX, SECRET_MAX)
    assert (string_bound("depositor_name"), string_bound("title"), string_bound("orderId")) == (NAME_MAX, NAME_MAX,
                                                                                               ID_MAX)


@pytest.mark.parametrize("provider,name,member,good", [
    ("liqx", "payin-intent", "amount_krw", "100000"),
    ("liqx", "payin-intent", "amount_usdt", "75.50"),
    ("mizu", "payment-link", "amount", "25.50"),
    ("inqud", "create-checkout", "expiresAt", "2026-12-01T12:00:00Z"),
])
def test_a_value_followed_by_a_newline_does_not_match(provider, name, member, good):
    """`$` ends the value as in ECMA-262: `"100\\n"` is not an amount, a date-time with a newline is not one."""
    def issues(value):
        return {i.field for i in contract_issues(provider, "requests", name, {member: value})}
    assert f"/{member}" not in issues(good)
    assert f"/{member}" in issues(good + "\n")
    assert f"/{member}" in issues(good + "\n\n")


def test_missing_fields_are_named_one_by_one():
    """Each missing member is its own issue, taken from the validator's data."""
    fields = {i.field for i in contract_issues("liqx", "requests", "payin-intent", {})}
    assert {"/external_ref", "/external_user_id", "/depositor_name", "/amount_krw", "/amount_usdt"} <= fields


def test_issues_never_echo_a_huge_value():
    """A 100,000-character value is named by its field with a short issue, not repeated back."""
    [issue] = [i for i in contract_issues("liqx", "requests", "payin-intent", {"external_ref": "x" * 100_000})
               if i.field == "/external_ref"]
    assert len(issue.issue) < 100
