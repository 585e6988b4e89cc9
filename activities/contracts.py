"""Names of the activities, importable by workflows without pulling in SQLAlchemy or SMTP."""

RECORD_CASE_EVENT = "record_case_event"
SEND_NOTIFICATION = "send_notification"
