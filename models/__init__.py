"""The OCOP domain: pure, typed and deterministic.

No I/O, no clock and no Temporal imports live here, so workflows can call these rules
during replay and property tests can exercise them freely.
"""
