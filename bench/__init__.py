"""Benchmarks: `make bench` runs `python -m bench`. Speed targets are ratios against a same-run baseline."""
