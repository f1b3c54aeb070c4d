"""Linli benchmarks (see bench/README.md)."""
