"""Kept only while `workflows/annual_cycle.py` imports it: the activity names now live
in `contracts/case.py` (typed references). Delete this module with that import."""

from contracts.case import RECORD_CASE_EVENT as _RECORD_CASE_EVENT
from contracts.case import SEND_NOTIFICATION as _SEND_NOTIFICATION

RECORD_CASE_EVENT = _RECORD_CASE_EVENT.name
SEND_NOTIFICATION = _SEND_NOTIFICATION.name
