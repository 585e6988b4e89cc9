"""What a run of the benchmark is asked, where it runs, and what it measures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from temporalio.client import Client

BASELINE_CONCURRENCY: Final = 1


@dataclass(frozen=True)
class Setup:
    """How long it took to bring N products to AWAITING_RECOGNITION."""

    submit_s: float
    review_s: float
    settle_s: float
    """Until the cycle knew every product awaited recognition and every case was quiet."""

    @property
    def total_s(self) -> float:
        return self.submit_s + self.review_s + self.settle_s


@dataclass(frozen=True)
class Measured:
    """One configuration's run; times in seconds after the recognition moment."""

    round_number: int
    products: int
    concurrency: int
    decisions: int
    lead_s: float
    setup: Setup
    certified_s: float
    """All N certificates in the register."""
    timer_lag_s: float
    """The cycle's timer fired (server time)."""
    fanout_s: float
    """First recognise_batch activity scheduled → last one completed (the cycle's history)."""
    recorded_s: float
    """The decision(s) recorded in the register."""
    mailed_s: float | None
    """Every "recognised" e-mail accepted by the SMTP sink (None: not within the wait)."""
    worker_cpu_s: float
    """CPU time of this process (worker, activities, SMTP sink) until all were certified."""
    server_cpu_s: float | None
    """CPU time of the dev server meanwhile (None where /proc cannot tell)."""
    cycle_runs: int
    """Runs of the cycle workflow by the end (it continues as new as its history grows)."""

    @property
    def rate(self) -> float:
        return self.products / self.certified_s


@dataclass(frozen=True)
class Options:
    products: int
    concurrency: int
    districts: int
    repeat: int
    submit_concurrency: int
    setup_concurrency: int
    fanout_chunk: int
    lead_s: float | None

    @property
    def configs(self) -> tuple[int, int]:
        return BASELINE_CONCURRENCY, self.concurrency


class BenchmarkError(RuntimeError):
    """The run could not measure what it meant to (the message says what to change)."""


class LeadTooShortError(BenchmarkError):
    """The recognition date came before the setup was over."""

    def __init__(self, message: str, setup_s: float) -> None:
        super().__init__(message)
        self.setup_s = setup_s


@dataclass
class Stack:
    """What every configuration shares: the dev server (its client, its pid) and a folder."""

    client: Client
    server_pid: int | None
    folder: Path


def lead_too_short(lead_s: float, n: int, setup_s: float) -> LeadTooShortError:
    return LeadTooShortError(
        f"the recognition date came {lead_s:.0f} s after the cycle started, before the "
        f"{n} products were set up and quiet",
        setup_s,
    )
