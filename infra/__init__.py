"""Plumbing shared by the worker and the command line: settings, database, embedded stack."""
