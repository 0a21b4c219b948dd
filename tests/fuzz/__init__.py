"""Issue 8: fuzz."""
