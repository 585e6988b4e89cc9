"""The demo's story prints in business-date order, whatever order its lines come in."""

from __future__ import annotations

import io
from datetime import date, datetime

from rich.console import Console

from cli.demo.chronicle import Chronicle
from models.clock import VIETNAM


def _chronicle() -> tuple[Chronicle, io.StringIO]:
    out = io.StringIO()
    return Chronicle(Console(file=out, width=120, color_system=None)), out


def test_lines_wait_until_their_moment_has_passed_then_print_in_order() -> None:
    chronicle, out = _chronicle()
    chronicle.say(datetime(2024, 3, 7, 9, tzinfo=VIETNAM), "Mắm ngự Đại Yên", "submitted")
    chronicle.say(date(2024, 3, 5), "Mật ong rừng Bình Liêu", "submitted")
    chronicle.flush(datetime(2024, 3, 6, tzinfo=VIETNAM))
    assert out.getvalue().splitlines() == [
        "2024-03-05  Mật ong rừng Bình Liêu" + " " * 12 + " submitted"
    ]
    # A wave told late, dated before a line already waiting, still prints first.
    chronicle.say(date(2024, 3, 6), "25 producers", "expiry reminder")
    chronicle.flush()
    lines = out.getvalue().splitlines()
    assert [line[:10] for line in lines] == ["2024-03-05", "2024-03-06", "2024-03-07"]


def test_a_new_year_is_marked_and_long_names_are_never_cut() -> None:
    chronicle, out = _chronicle()
    name = "Bộ Nông nghiệp và Phát triển nông thôn"  # longer than the column
    chronicle.say(date(2025, 1, 1), "Văn phòng Điều phối OCOP", "the 2024 cycle closes")
    chronicle.say(date(2024, 12, 15), name, "decision 420/2024/QĐ-BNN")
    chronicle.flush()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"2024-12-15  {name} decision")
    assert "2025" in lines[1] and set(lines[1].replace("2025", "")) <= {"─", " "}
    assert lines[2].startswith("2025-01-01  Văn phòng Điều phối OCOP")


def test_lines_of_one_moment_sort_by_who_speaks_so_two_runs_print_alike() -> None:
    first, out_first = _chronicle()
    second, out_second = _chronicle()
    moment = datetime(2024, 10, 15, 12, tzinfo=VIETNAM)
    says = [("UBND huyện Vân Đồn", "decision 428"), ("UBND huyện Ba Chẽ", "decision 300")]
    for who, text in says:
        first.say(moment, who, text)
    for who, text in reversed(says):
        second.say(moment, who, text)
    first.flush()
    second.flush()
    assert out_first.getvalue() == out_second.getvalue()
    assert out_first.getvalue().index("Ba Chẽ") < out_first.getvalue().index("Vân Đồn")
