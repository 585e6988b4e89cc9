"""Hostile input for cases and cycles: what the fuzz test and the hostile-input probe send."""
