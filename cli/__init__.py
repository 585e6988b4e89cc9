"""Sub-commands of the ocop command line."""
