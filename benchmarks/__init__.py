"""Benchmarks: each module has run() -> dict and prints one JSON line."""
