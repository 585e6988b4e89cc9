"""How the system's facts are shown to the people who read them.

`presentation.story` tells a case's story to an operator (`ocop history`). Names of
things in words (stages, levels, documents …) are not here but in `models.labels`, so
letters, commands and stories all share them.

Layering: presentation is read by `cli/` (and a future API); it imports `contracts`
and `models`, and reaches Temporal and the register only through the client and the
sessions it is handed, never through `infra`, `workflows` or `activities`.
"""
