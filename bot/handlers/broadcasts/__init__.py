"""Broadcasts: staff messages to volunteers, and announcements."""
