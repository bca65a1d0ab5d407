"""Productive families (issue 5): registration, stall requests, staff review."""
