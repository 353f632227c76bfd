"""Example recipe files written the way a new user would (only the public ``scenes`` API)."""
