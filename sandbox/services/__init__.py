"""The services that own the sandbox's mutable state, one module each (assembled in `sandbox.engine`).

`accounts` (credentials and webhook endpoints), `fault_rules` (fault rules and the API-rule
cache) and `lifecycle` (worlds: create, restore, expire, delete). Nothing outside a service
changes its state (`tests/test_architecture.py` checks it); code asks for the service it needs.
"""
