"""The case's printable forms (R-ARC-1): the 临时救助审核审批表 as an A4 PDF in Chinese with the packaged
fonts in ``fonts/`` — Droid Sans Fallback (Apache-2.0) for Chinese, DejaVu Sans (Bitstream Vera licence) for
Latin letters and digits; fpdf2 embeds only the glyphs used (the approach of household's letters)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
CJK_FONT = FONTS / "DroidSansFallbackFull.ttf"
LATIN_FONT = FONTS / "DejaVuSans.ttf"

Section = tuple[str, list[tuple[str, str]]]
"""A heading and its (label, value) rows."""


def _lines(pdf: FPDF, width: float, text: str) -> int:
    """How many lines ``text`` takes in a cell ``width`` wide (a dry run)."""
    lines = pdf.multi_cell(width, 7, text, dry_run=True, output="LINES")
    return len(lines) if isinstance(lines, list) else 1


def render_form(title: str, reference: str, sections: list[Section], *, made_at: datetime) -> bytes:
    """A bordered two-column form: per section a shaded heading row, then label | value rows."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("assistance intake service")
    pdf.set_creation_date(made_at)
    pdf.add_font("latin", fname=str(LATIN_FONT))
    pdf.add_font("cjk", fname=str(CJK_FONT))
    pdf.set_fallback_fonts(["latin"], exact_match=False)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 7, reference, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    label_width = 50
    for heading, rows in sections:
        pdf.set_font("cjk", size=11)
        pdf.set_fill_color(230, 230, 230)
        pdf.cell(0, 8, heading, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)
        value_width = pdf.epw - label_width
        for label, value in rows:
            lines = max(_lines(pdf, label_width, label), _lines(pdf, value_width, value or "—"))
            if pdf.get_y() + 7 * lines > pdf.page_break_trigger:
                pdf.add_page()
            x, y = pdf.get_x(), pdf.get_y()
            pdf.rect(x, y, label_width, 7 * lines)
            pdf.rect(x + label_width, y, value_width, 7 * lines)
            pdf.multi_cell(label_width, 7, label, align="L", new_x="RIGHT", new_y="TOP")
            pdf.multi_cell(value_width, 7, value or "—", align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.set_xy(x, y + 7 * lines)
    return bytes(pdf.output())
