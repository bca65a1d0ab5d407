"""What a channel remembers per chat (the last menu shown, its page), kept for the most
recently active chats only, so a long-running process does not grow with every chat it ever
answered. A forgotten chat behaves as after a restart."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

RECENT_CHATS = 50_000  # chats whose last menu a channel remembers


def touch(cache: OrderedDict[K, V], key: K, make: Callable[[], V], limit: int) -> V:
    """The value for `key` (made when absent), now the most recent; the least recently used
    entries beyond `limit` are dropped."""
    value = cache.pop(key) if key in cache else make()
    cache[key] = value
    while len(cache) > limit:
        cache.popitem(last=False)
    return value


def recall(cache: OrderedDict[K, V], key: K) -> V | None:
    """The value for `key` if still remembered, marking it as recently used."""
    if key not in cache:
        return None
    cache.move_to_end(key)
    return cache[key]
