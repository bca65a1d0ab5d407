"""A per-client limit on how often something may be tried (a public look-up such as /verify):
at most `limit` tries in any `window`, per client key (a person in chat, an address on the web).

Counted in the memory of the process that serves the client: a restart forgets the counts, and
each process counts its own clients, which is enough to make guessing slow. The time comes from
the caller (the injected clock), so tests move time instead of waiting."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class Throttle:
    def __init__(self, limit: int, window: timedelta, max_clients: int = 10_000) -> None:
        assert limit >= 1 and window > timedelta(0)
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._tries: dict[str, deque[datetime]] = {}

    def allow(self, client: str, now: datetime) -> bool:
        """Count a try by `client` now; False (and not counted) when it already made `limit`
        tries within the window, so waiting is what lets it in again."""
        tries = self._recent(client, now)
        if len(tries) >= self.limit:
            return False
        tries.append(now)
        if len(self._tries) > self.max_clients:
            self._forget(now)
        return True

    def retry_after(self, client: str, now: datetime) -> timedelta:
        """How long until `client` may try again (zero when it may now)."""
        tries = self._recent(client, now)
        if len(tries) < self.limit:
            return timedelta(0)
        return tries[0] + self.window - now

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        tries = self._tries.setdefault(client, deque())
        while tries and tries[0] <= now - self.window:
            tries.popleft()
        return tries

    def _forget(self, now: datetime) -> None:
        """Drop the clients with no try left in the window (memory stays bounded by the
        clients active within one window)."""
        self._tries = {c: t for c, t in self._tries.items() if t and t[-1] > now - self.window}
