"""Where webhooks may go (SPEC §10): a destination policy checked where a URL is set and at send time.

A webhook URL can be set by anyone who can call a provider's API (a ROZO payment's `webhookUrl`
needs no key on a public appId), so without a policy the sandbox would POST wherever a stranger
asks — the cloud metadata service included. The rules:

- only `http` and `https`;
- link-local and metadata addresses (`169.254.0.0/16`, `fe80::/10`) are always refused;
- bound to loopback, any other destination is allowed (only this machine's user can set URLs);
- bound beyond loopback, a destination must match `SANDBOX_WEBHOOK_ALLOW`: host names, wildcards
  (`*.partner.example`) and CIDRs (`203.0.113.0/24`); default loopback and the private ranges.

The send-time check runs on the addresses the connection will actually use: the webhook client
(`sandbox.delivery.sender`) asks `refuse_address` of every address a name resolves to, so a name
that resolves differently between the API check and the POST (DNS rebinding) is still caught, and
IP literals are checked before the request (`refuse_url`). A refusal is a failed attempt whose
error says why.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache

from yarl import URL

from sandbox.errors import ValidationFailed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ALWAYS_REFUSED = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
DEFAULT_ALLOW = ("localhost", "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                 "fc00::/7")
MAX_URL = 2048
#: URLs whose `refuse_url` answer a policy keeps (a sandbox posts to a few partner URLs again and again).
ANSWERS_KEPT = 1024


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


@dataclass(frozen=True)
class DestinationPolicy:
    """The rules above for one server: `open` when bound to loopback, else the allow-list."""

    open: bool
    names: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()
    #: `refuse_url`'s answers by URL. Kept here, not in an `lru_cache` keyed by the policy: hashing
    #: a frozen policy hashes every network it holds, six `ipaddress` hashes per webhook attempt.
    _answers: dict[str, str | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, loopback_only: bool, allow: Iterable[str] | None = None) -> DestinationPolicy:
        """The policy from its settings; an entry that is neither a CIDR nor a host pattern is an error."""
        names, networks = [], []
        for entry in (DEFAULT_ALLOW if allow is None else allow):
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not all(part.isalnum() or part in "-.*_" for part in entry):
                    raise ValueError(f"webhook allow-list entry {entry!r} is not a host name, wildcard or CIDR") from None
                names.append(entry)
        return cls(loopback_only, tuple(names), tuple(networks))

    def name_allowed(self, host: str) -> bool:
        """The host name matches an allow-list name or wildcard (case-insensitive)."""
        host = host.lower().rstrip(".")
        return any(fnmatchcase(host, pattern) for pattern in self.names)

    def refuse_address(self, host: str, address: str) -> str | None:
        """Why sending to `address` (resolved from `host`) is refused, or None when it is allowed."""
        ip = _address(address)
        if ip is None:
            return f"{address!r} is not an IP address"
        if any(ip in network for network in ALWAYS_REFUSED):
            return f"{host} resolves to {ip}, a link-local or metadata address (always refused)"
        if self.open or self.name_allowed(host) or any(ip in network for network in self.networks):
            return None
        return f"{host} ({ip}) is not in SANDBOX_WEBHOOK_ALLOW"

    def refuse_url(self, url: str) -> str | None:
        """Why `url` is refused before any DNS lookup (scheme, shape, IP literals), or None.

        Asked before every attempt, with the same few URLs: the answers are kept (the policy is
        frozen), up to `ANSWERS_KEPT` URLs at a time.
        """
        try:
            return self._answers[url]
        except KeyError:
            pass
        if len(self._answers) >= ANSWERS_KEPT:
            self._answers.clear()
        answer = self._answers[url] = self._refuse_url(url)
        return answer

    def _refuse_url(self, url: str) -> str | None:
        if len(url) > MAX_URL:
            return f"is longer than {MAX_URL} characters"
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            return "is not a URL"
        if parsed.scheme not in ("http", "https"):
            return "must be an http or https URL"
        host = parsed.raw_host
        if not host:
            return "has no host"
        if _address(host) is not None:
            return self.refuse_address(host, host)
        if not self.open and not self.name_allowed(host) and not self.networks:
            return f"host {host} is not in SANDBOX_WEBHOOK_ALLOW"
        return None


@lru_cache(maxsize=32)
def policy_for(loopback_only: bool, allow: tuple[str, ...] | None) -> DestinationPolicy:
    """The (cached) policy for a server's binding and allow-list."""
    return DestinationPolicy.build(loopback_only, allow)


def refuse_url(url: str, policy: DestinationPolicy, field: str) -> None:
    """At the API where a URL is set: a refused destination is a 400 naming the field and the reason."""
    reason = policy.refuse_url(url)
    if reason is not None:
        raise ValidationFailed(f"webhook URL refused: {reason}", details=[{"field": field, "issue": reason}])
