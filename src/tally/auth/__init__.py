"""Officers, tokens and scopes."""

from tally.auth.scope import Principal, Role

__all__ = ["Principal", "Role"]
