"""The partner side: the built-in webhook receiver and the Partner CRM simulator pages (SPEC §8)."""
