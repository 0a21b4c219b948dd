"""The election in the database: sheets, current TPS results, flags, keyed recaps, and the recap query.

`store` (contests, TPS, sheets), `results` (the per-TPS current result the recap sums), `totals` (the
maintained per-region totals), `flagstore` (flags and keyed recaps), `recap` (the one read of a region's
totals; `recap_scan` sums TPS rows, the baseline; `recap_lines` what both are made of), `mismatch` (keyed
recaps against the totals: `reconcile.recap`'s rule, explained down to TPS), `service` and `rejudge` (store
what the pure engine in `reconcile` decides; judge a scope's stored sheets again) and `run` (whole commands).
"""
