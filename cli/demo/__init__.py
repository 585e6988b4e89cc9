"""``ocop demo``: the README's first command (see `cli.demo.command`)."""

from cli.demo.command import demo

__all__ = ["demo"]
