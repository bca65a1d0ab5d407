"""Kept only because `bench/broadcast_bench.py` still imports this name; the helpers live in
`tests/delivery/support.py` (one helper module per test folder). Delete once the bench
imports `tests.delivery.support` (or the fakes/seeding package the bench should use)."""

from tests.delivery.support import add_broadcast, seed_recipients

__all__ = ["add_broadcast", "seed_recipients"]
