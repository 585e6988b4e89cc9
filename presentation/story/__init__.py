"""The operator's story of a case (`ocop history`): its workflow history, the register's
audit and the mail ledger, merged into one timeline in words.

- `facts`: what the story is told from (history facts, transitions, ledger rows) and
  what it tells (`Story`, `StoryEntry`); plain data;
- `history`: a run's history events read as facts, payloads decoded by the contract;
- `gather`: the I/O: every run of the case from Temporal, the register's rows
  (`case_story` does it all);
- `merge`: the three sources placed on one timeline (`tell_story`);
- `transitions`: a transition in words, by its word in `models.transitions`;
- `narration`: what the history and ledger say on their own in words, and the story
  as lines of text (`render_story`).

Everything but `gather` and `history` is pure and tested without a server.
"""

from presentation.story.facts import Email, Story, StoryEntry, Transition
from presentation.story.gather import CaseNotFoundError, case_story
from presentation.story.merge import tell_story
from presentation.story.narration import render_story

__all__ = [
    "CaseNotFoundError",
    "Email",
    "Story",
    "StoryEntry",
    "Transition",
    "case_story",
    "render_story",
    "tell_story",
]
