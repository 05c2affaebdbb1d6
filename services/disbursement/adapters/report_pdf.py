"""The printable reserve-fund report (备用金使用情况报告, R-RES-2): A4 PDF in Chinese with the packaged fonts
in ``fonts/`` — Droid Sans Fallback (Apache-2.0) for Chinese, DejaVu Sans (Bitstream Vera licence) for
Latin letters and digits, which the CJK font lacks; fpdf2 embeds only the glyphs used. The same approach as
the household service's decision letter, kept here so that disbursement depends on no other service."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
CJK_FONT = FONTS / "DroidSansFallbackFull.ttf"
LATIN_FONT = FONTS / "DejaVuSans.ttf"


def render_report(
    title: str,
    heading: Sequence[tuple[str, str]],
    totals: Sequence[tuple[str, str]],
    cases: Sequence[Sequence[str]],
    case_columns: Sequence[str],
    widths: Sequence[float] | None = None,
) -> bytes:
    """Title, the report's heading lines (label, value), the totals table, then one row per case;
    ``widths`` (mm) per column, or equal columns across the page."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("assistance disbursement service")
    pdf.add_font("latin", fname=str(LATIN_FONT))
    pdf.add_font("cjk", fname=str(CJK_FONT))
    pdf.set_fallback_fonts(["latin"], exact_match=False)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=11)
    for label, value in heading:
        pdf.cell(60, 7, label)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in totals:
        pdf.cell(60, 7, label, border=1)
        pdf.cell(50, 7, value, border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    even = (pdf.w - pdf.l_margin - pdf.r_margin) / max(len(case_columns), 1)
    sizes = list(widths) if widths else [even] * len(case_columns)
    pdf.set_font("cjk", size=9)
    for column, width in zip(case_columns, sizes, strict=True):
        pdf.cell(width, 7, column, border=1, align="C")
    pdf.ln()
    for row in cases:
        for cell, width in zip(row, sizes, strict=True):
            pdf.cell(width, 7, cell, border=1)
        pdf.ln()
    return bytes(pdf.output())
