"""What a context promises the world: the names Temporal knows it by, and their types.

One module per context, the way Temporal's reference application keeps an `api.go`
per domain. Workflows decorate their handlers with these names, activities register
under them, and every caller (CLI, API, activities that drive a case) refers to them
here, never by a string of its own. Layering: contracts import only `models` and
`temporalio`; workflows, activities, infra and cli import contracts.
"""
