"""The webhook delivery engine (SPEC §5): outbox, fault rules, retry policies, destinations and the dispatcher."""
