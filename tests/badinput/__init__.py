"""Issue 8: badinput."""
