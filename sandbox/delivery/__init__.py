"""The webhook delivery engine (SPEC §5): outbox, fault rules, retry policies and the dispatcher."""
