"""Alembic migrations of the register (a package so they ship with the wheel)."""
