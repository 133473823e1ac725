"""Importing this module fails."""
raise RuntimeError("broken on purpose")
