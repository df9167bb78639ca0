"""Benchmarks of the whole stack: `python -m bench [--quick|--smoke]` (see docs/performance.md)."""
