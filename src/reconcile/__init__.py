"""The domain engine: contests, sheets, rules, flags and roll-ups. Pure: no web, no DB, no files."""
