"""The intake HTTP API: `create_app(settings)`."""

from tally.api.app import create_app

__all__ = ["create_app"]
