"""The intake HTTP API: its routes, typed dependencies and the one error mapping. The app that mounts it
beside the web pages is built by `tally.bootstrap.create_app`."""
