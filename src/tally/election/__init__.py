"""The election in the database: sheets, current TPS results, flags, keyed recaps, and the recap query.

`store` (contests, TPS, sheets), `results` (the per-TPS current result the recap sums), `flagstore` (flags and
keyed recaps), `recap` (a region's totals by index range scans over undotted codes, see `scope`), and
`service` (synth → store, reconcile stored sheets → flags) which drives the pure engine in `reconcile`.
"""
