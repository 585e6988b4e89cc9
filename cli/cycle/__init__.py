"""``ocop cycle …`` and ``ocop submit``: a province's annual cycle from the command line.

Administrators start a year's cycle from a config file (or leave it to a yearly
Temporal Schedule), follow it with ``status`` and ``report``, and close it; producers'
agents submit dossiers through the cycle, which refuses them with one clear line
outside its window, for a product already in the cycle or a dossier that is not its.

- `target`: finding a cycle; an Update on a running one; its report;
- `wording`: targets and dates as the commands print them;
- `start`: ``cycle start`` and ``cycle schedule``;
- `report`: ``cycle status`` and ``cycle report``;
- `updates`: ``cycle close`` and ``submit``.
"""

from __future__ import annotations

# Each command module registers its commands on `cycle_app` as it is imported: this order
# is the order of `ocop cycle --help`.
# isort: off
from cli.cycle import start  # noqa: F401  start, schedule
from cli.cycle import report  # noqa: F401  status, report
from cli.cycle import updates  # noqa: F401  close (and submit, which starter.py adds)

# isort: on
from cli.cycle.report import print_report
from cli.cycle.target import cycle_app
from cli.cycle.updates import submit

__all__ = ["cycle_app", "print_report", "submit"]
