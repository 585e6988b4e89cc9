"""The figures, printed to stdout: one row per configuration, then the setup's own."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from datetime import datetime

import temporalio.service

from benchmarks.fanout.figures import (
    BASELINE_CONCURRENCY,
    Measured,
    Options,
)
from infra.binaries import temporal_cli


def print_report(options: Options, results: Sequence[Measured], stack: str) -> None:
    n = options.products
    decisions = "1 decision" if options.districts == 1 else f"{options.districts} decisions"
    print(
        f"Recognition fan-out: {n} products awaiting recognition at the district, "
        f"{decisions}, {options.fanout_chunk} products per recognise_batch activity"
    )
    print(f"Stack: {stack}")
    print()
    header = (
        f"{'round':>5}  {'products':>8}  {'concurrency':>11}  {'seconds':>7}  "
        f"{'products/s':>10}  {'speed-up':>8}  |  {'timer':>5}  {'fan-out':>7}  "
        f"{'recorded':>8}  {'mailed':>6}  |  {'worker':>6}  {'server':>6}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        baseline = next(
            r
            for r in results
            if r.round_number == result.round_number and r.concurrency == BASELINE_CONCURRENCY
        )
        mailed = f"{result.mailed_s:6.2f}" if result.mailed_s is not None else f"{'-':>6}"
        server = (
            f"{result.server_cpu_s / result.certified_s:6.2f}"
            if result.server_cpu_s is not None
            else f"{'-':>6}"
        )
        print(
            f"{result.round_number:>5}  {result.products:>8}  {result.concurrency:>11}  "
            f"{result.certified_s:>7.2f}  {result.rate:>10.1f}  "
            f"{baseline.certified_s / result.certified_s:>7.2f}x  |  "
            f"{result.timer_lag_s:>5.2f}  {result.fanout_s:>7.2f}  "
            f"{result.recorded_s:>8.2f}  {mailed}  |  "
            f"{result.worker_cpu_s / result.certified_s:>6.2f}  {server}"
        )
    print()
    print(
        "seconds: from the recognition date (the cycle's clock) until all certificates are in\n"
        "  the register; speed-up: against concurrency 1 of the same round.\n"
        "timer: the cycle's timer fired; fan-out: recognise_batch activities, first scheduled\n"
        "  to last completed; recorded: the decision is in the register; mailed: every\n"
        "  'recognised' e-mail reached the SMTP sink (seconds after the recognition date).\n"
        "worker, server: CPU cores kept busy until all were certified by this process\n"
        "  (worker, activities, SMTP sink) and by the dev server."
    )
    if options.repeat > 1:
        print()
        for concurrency in options.configs:
            times = [r.certified_s for r in results if r.concurrency == concurrency]
            print(
                f"concurrency {concurrency:>3}: median {statistics.median(times):.2f} s over "
                f"{len(times)} rounds (min {min(times):.2f}, max {max(times):.2f})"
            )
    print()
    print(
        f"Setup: {options.submit_concurrency} submissions in flight, then "
        f"{options.setup_concurrency} products reviewed and scored at a time:"
    )
    for result in results:
        setup = result.setup
        print(
            f"  round {result.round_number}, concurrency {result.concurrency:>3}: "
            f"{n} submissions in {setup.submit_s:5.2f} s = {n / setup.submit_s:5.1f} "
            f"submissions/s through the cycle's submit Update; review + scoring "
            f"{setup.review_s:5.2f} s ({n / setup.review_s:.1f} products/s); "
            f"quiet {setup.settle_s:.2f} s later"
            + (f"; the cycle ran {result.cycle_runs} runs" if result.cycle_runs > 1 else "")
        )


def describe_stack() -> str:
    cli = temporal_cli()
    try:
        version = subprocess.run(
            [str(cli), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        version = "Temporal CLI " + version.removeprefix("temporal version ")
    except (OSError, subprocess.SubprocessError):
        version = str(cli)
    return (
        f"{version} dev server, in-process worker (temporalio {temporalio.service.__version__}), "
        f"SQLite register, SMTP sink;\n  {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    )
