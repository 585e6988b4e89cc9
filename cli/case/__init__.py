"""The per-case command line: one product's case, step by step, as the people around it act.

``ocop open`` starts a product's case from a file; ``review``, ``supply``, ``score``,
``close-session``, ``recognise``, ``apply``, ``revoke`` and ``extend`` send the human steps as
workflow Updates; ``status`` shows where the case stands. Each command names the
product by ``PROVINCE PRODUCT_CODE`` (or ``--id WORKFLOW_ID``), prints one line on what
happened and where the case is now, and exits non-zero with one clear line on bad
input (exit 2) or when the case refuses the step (exit 1).

- `target`: finding the case a command names; one Update or query, with the error
  handling every command shares;
- `inputs`: options and files as the values an Update takes (bad input is exit 2);
- `wording`: where a case stands, in one line;
- `review`: ``open``, ``review``, ``supply``;
- `council`: ``score``, ``close-session``;
- `certificate`: ``recognise``, ``apply``, ``revoke``;
- `deadline`: ``extend``, more working days for the step a case is at;
- `status`: ``status``, the readable view of a case.
"""

from __future__ import annotations

# Each command module registers its commands on `case_app` as it is imported: this order
# is the order of `ocop --help`.
# isort: off
from cli.case import review  # noqa: F401  open, review, supply
from cli.case import council  # noqa: F401  score, close-session
from cli.case import certificate  # noqa: F401  recognise, apply, revoke
from cli.case import deadline  # noqa: F401  extend
from cli.case import status  # noqa: F401  status

# isort: on
from cli.case.status import show_status
from cli.case.target import case_app

__all__ = ["case_app", "show_status"]
