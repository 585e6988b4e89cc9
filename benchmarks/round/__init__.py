"""The cost of one evaluation round against a bare-Temporal skeleton with the same steps."""
