"""Delivery of everything that is not a direct reply: the persisted, rate-limited outbox."""
