# Shortcuts to the bootstrap script (tasks.py) and the tools in .venv.
# `make demo` and `make test` are the README's two commands; each creates .venv if needed.

PYTHON ?= python3
VENV_BIN := .venv/bin

.PHONY: demo test lint up install

demo:
	$(PYTHON) tasks.py demo

test:
	$(PYTHON) tasks.py test

# ruff check (complexity at most 12), ruff format --check, then mypy --strict (pyproject.toml)
lint:
	$(PYTHON) tasks.py lint

# The embedded stack until Ctrl-C: Temporal dev server + Web UI, mail sink, worker
up: install
	$(VENV_BIN)/ocop dev up

install:
	$(PYTHON) tasks.py install
