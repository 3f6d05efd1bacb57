"""Pure leaves: values and functions with no I/O that every layer may use (storage included).

Nothing here imports the rest of `bot`, `storage`, `cogs` or discord; `make lint` (import-linter) enforces it.
"""
