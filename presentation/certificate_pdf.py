"""A certificate as the producer downloads and prints it: one A4 page, in Vietnamese with
English beneath, set in DejaVu (matplotlib ships it) so every diacritic is drawn.

The page says what the register says: number, product, holder, stars, the issuing
authority and its decision, the validity dates. It is a copy for display; what a
certificate is worth is what the register (and the public lookup) says of it today.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

from models.dates import format_day
from models.dossier import Language

if TYPE_CHECKING:
    from fpdf import FPDF

FONT: Final = "DejaVu"
GREEN: Final = (11, 110, 79)


@dataclass(frozen=True)
class CertificateSheet:
    number: str
    product: str
    holder: str
    stars: int
    authority: str
    decision_number: str
    decided_on: date | None
    valid_from: date
    valid_until: date


def _line(pdf: FPDF, text: str, size: float, *, bold: bool = False, gap: float = 2.0) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)


def _both(pdf: FPDF, vi: str, en: str, size: float, *, bold: bool = False) -> None:
    _line(pdf, vi, size, bold=bold, gap=0.5)
    pdf.set_text_color(90, 90, 90)
    _line(pdf, en, size * 0.7, gap=3.0)
    pdf.set_text_color(0, 0, 0)


def font_dir() -> Path:
    """matplotlib's DejaVu fonts, found without importing matplotlib (and numpy): only
    the PDF needs them, and every `ocop` command loads this module."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib is not installed: the certificate's fonts come with it")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


def certificate_pdf(sheet: CertificateSheet) -> bytes:
    """The certificate's printable page."""
    from fpdf import FPDF  # late: a second's import, for the PDF alone

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Giấy chứng nhận OCOP {sheet.number}")
    pdf.set_author(sheet.authority)
    fonts = font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_y(16)
    _line(pdf, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True, gap=0.5)
    _line(pdf, "Độc lập - Tự do - Hạnh phúc", 11, gap=4)
    _line(pdf, sheet.authority.upper(), 13, bold=True, gap=4)
    pdf.set_text_color(*GREEN)
    _both(pdf, "GIẤY CHỨNG NHẬN SẢN PHẨM OCOP", "OCOP PRODUCT CERTIFICATE", 22, bold=True)
    pdf.set_text_color(0, 0, 0)
    _line(pdf, f"Số / No. {sheet.number}", 12, gap=4)
    _line(pdf, "Sản phẩm / Product", 10, gap=0.5)
    _line(pdf, sheet.product, 18, bold=True, gap=3)
    _line(pdf, f"Chủ thể / Holder: {sheet.holder}", 13, gap=3)
    pdf.set_text_color(*GREEN)
    _line(pdf, "★" * sheet.stars, 30, gap=1)
    pdf.set_text_color(0, 0, 0)
    _both(pdf, f"Đạt hạng {sheet.stars} sao", f"Rated {sheet.stars} stars", 14, bold=True)
    decided = f" ngày {format_day(sheet.decided_on)}" if sheet.decided_on else ""
    decided_en = f" of {format_day(sheet.decided_on, Language.EN)}" if sheet.decided_on else ""
    _both(
        pdf,
        f"Theo Quyết định số {sheet.decision_number}{decided} của {sheet.authority}",
        f"By decision {sheet.decision_number}{decided_en}",
        11,
    )
    _both(
        pdf,
        f"Có hiệu lực từ {format_day(sheet.valid_from)} đến {format_day(sheet.valid_until)}",
        f"Valid from {format_day(sheet.valid_from, Language.EN)} "
        f"to {format_day(sheet.valid_until, Language.EN)}",
        11,
    )
    return bytes(pdf.output())
