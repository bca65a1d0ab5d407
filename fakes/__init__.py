"""Fake Bot API and Graph API servers on 127.0.0.1, for the tests and the benchmarks (not
installed with the product)."""
