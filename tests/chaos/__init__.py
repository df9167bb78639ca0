"""Chaos runs: many jobs through every checkpoint while processes are killed and restarted."""
