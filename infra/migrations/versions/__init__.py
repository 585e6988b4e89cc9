"""Migration scripts of the register, applied in revision order by Alembic."""
