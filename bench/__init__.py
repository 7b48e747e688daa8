"""Benchmarks: each bench_*.py measures one thing against a floor measured in the same run."""
