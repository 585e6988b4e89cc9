"""The national-year benchmark's script tells the year it claims to: the national star
mix, a third of dossiers lacking a document, certificates in force on the loading day,
and re-evaluations that the rules accept and this year's decisions renew in time.

A script that drifted (a re-evaluation applied before its window, a certificate already
expired) would make the benchmark measure refusals instead of a year's work.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from benchmarks.national.script import (
    CALENDAR,
    LOADED_ON,
    RULES,
    first_evaluations,
    held_certificates,
    lapses_this_year,
    register_row,
)
from benchmarks.national.stories import first_ending
from cli.demo.province import Fate
from models.case import CaseStage
from models.held_certificates import REGISTER_COLUMNS, held_certificate_refusal, register_line

YEAR_END = date(2027, 1, 1)


def test_first_dossiers_follow_the_national_star_mix() -> None:
    entries = first_evaluations(3_600)
    endings = Counter(first_ending(entry) for entry in entries)
    certified = Counter(e.stars for e in endings.elements() if e.stage == CaseStage.CERTIFIED)
    evaluated = sum(certified.values())
    assert 0.70 <= certified[3] / evaluated <= 0.78
    assert 0.20 <= certified[4] / evaluated <= 0.28
    assert 0 < certified[5] / evaluated <= 0.03
    # Every kind of ending the issue names happens, in a plausible share.
    assert 0.30 <= sum(1 for e in entries if e.missing) / len(entries) <= 0.36
    for stage in (CaseStage.REJECTED, CaseStage.RETURNED, CaseStage.NOT_CERTIFIED):
        assert 0 < sum(n for e, n in endings.items() if e.stage == stage) < len(entries) * 0.1


def test_first_dossiers_arrive_while_the_window_is_open() -> None:
    days = {entry.submitted for entry in first_evaluations(3_600)}
    assert all(CALENDAR.window_open(day) for day in days)
    assert len(days) > 100  # spread over the window, not all on one day


def test_register_certificates_load_on_the_day_and_a_third_run_out_this_year() -> None:
    held = held_certificates(3_000)
    for index, certificate in enumerate(held[:300]):
        row = register_row(certificate, "UBND tỉnh Bench", index)
        assert set(row) == set(REGISTER_COLUMNS)
        _, parsed = register_line(row, "bench")
        assert held_certificate_refusal(parsed, RULES, LOADED_ON) is None
    ending = sum(1 for c in held if c.valid_until < YEAR_END)
    assert 0.25 <= ending / len(held) <= 0.35
    lapsing = sum(1 for c in held if lapses_this_year(c, YEAR_END))
    renewed = sum(1 for c in held if c.entry.fate == Fate.REEVALUATE)
    assert lapsing + renewed == ending and renewed > 0


def test_reevaluations_are_applied_for_inside_their_window_and_decided_in_time() -> None:
    for certificate in held_certificates(3_000):
        submitted = certificate.entry.reevaluation_submitted
        if certificate.entry.fate != Fate.REEVALUATE:
            continue
        assert submitted is not None and CALENDAR.window_open(submitted)
        # The case accepts a re-evaluation from 180 days before expiry (CasePolicy).
        assert submitted >= certificate.valid_until - timedelta(days=180)
        assert CALENDAR.recognition[certificate.level] < certificate.valid_until
