"""Benchmarks (run by hand, never by the test suite). See bench/README.md."""
