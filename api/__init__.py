"""The HTTP API: the door for people — producers, offices, councils, authorities, operators.

Beside `cli/`: both call the same client functions in `infra/`. Every human action is
checked here against the person's verified token and the access rules of
`models/actors.py`, then signed in their name (`infra/actions.py`); the workflow checks
the signature and the scope again.
"""
