"""Benchmarks: speed measured on the real stack, each against a baseline in the same run.

Run one with ``.venv/bin/python -m benchmarks.<name>``; see ``benchmarks/README.md``.
"""
