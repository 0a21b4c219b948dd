"""Thin routes: parse, call a service function, answer. Errors go through `tally.api.errors`."""
