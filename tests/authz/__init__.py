"""Issue 8: authz."""
