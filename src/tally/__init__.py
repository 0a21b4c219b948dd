"""The Tally service: API, storage, auth, worker, web pages and CLI."""
