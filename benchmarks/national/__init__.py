"""The national-year benchmark's parts: its script, its actors and its figures."""
