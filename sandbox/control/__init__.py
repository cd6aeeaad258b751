"""The control API under `/_sandbox` and the inspector (SPEC §9)."""
