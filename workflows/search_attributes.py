"""Custom search attributes that let operators find any case in Temporal's visibility."""

from temporalio.common import SearchAttributeKey

PROVINCE = SearchAttributeKey.for_keyword("OcopProvince")
LOCALITY = SearchAttributeKey.for_keyword("OcopLocality")
LEVEL = SearchAttributeKey.for_keyword("OcopLevel")
STAGE = SearchAttributeKey.for_keyword("OcopStage")
STARS = SearchAttributeKey.for_int("OcopStars")
CYCLE_YEAR = SearchAttributeKey.for_int("OcopCycleYear")
RULEBOOK = SearchAttributeKey.for_keyword("OcopRulebook")
VALID_UNTIL = SearchAttributeKey.for_datetime("OcopValidUntil")

ALL_KEYS = (PROVINCE, LOCALITY, LEVEL, STAGE, STARS, CYCLE_YEAR, RULEBOOK, VALID_UNTIL)
