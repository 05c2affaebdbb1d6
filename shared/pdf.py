"""Printable documents: A4 PDF in Chinese (fpdf2) with the fonts packaged once in ``shared/fonts/`` —
Droid Sans Fallback (Apache-2.0) for Chinese, DejaVu Sans (Bitstream Vera licence) for Latin letters and
digits, which the CJK font lacks; fpdf2 embeds only the glyphs used. The mechanics of a page (fonts,
margins, headings, wrapped Chinese text, bordered tables); each service's adapter keeps its document's
content (household's letters, intake's forms, disbursement's reserve-fund report)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
CJK_FONT = FONTS / "DroidSansFallbackFull.ttf"
LATIN_FONT = FONTS / "DejaVuSans.ttf"
CJK = "cjk"
Align = Literal["L", "C", "R", "J"]


def new_document(title: str, *, creator: str, margin: float, made_at: datetime | None = None) -> FPDF:
    """An A4 document with the packaged fonts registered (Latin as the CJK font's fallback) and its first
    page open."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator(creator)
    if made_at is not None:
        pdf.set_creation_date(made_at)
    pdf.add_font("latin", fname=str(LATIN_FONT))
    pdf.add_font(CJK, fname=str(CJK_FONT))
    pdf.set_fallback_fonts(["latin"], exact_match=False)
    pdf.set_margins(margin, margin, margin)
    pdf.add_page()
    return pdf


def heading(pdf: FPDF, text: str, *, size: float, height: float, align: Align = "C") -> None:
    """One line across the page in the CJK font (a title, a reference line)."""
    pdf.set_font(CJK, size=size)
    pdf.cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


def paragraph(pdf: FPDF, text: str, *, height: float, align: Align = "L") -> None:
    """Text wrapped across the page (Chinese wraps between any two characters)."""
    pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


def line_count(pdf: FPDF, width: float, text: str, height: float) -> int:
    """How many lines ``text`` takes in a cell ``width`` wide (a dry run)."""
    lines = pdf.multi_cell(width, height, text, dry_run=True, output="LINES")
    return len(lines) if isinstance(lines, list) else 1


def row(
    pdf: FPDF,
    cells: Sequence[str],
    widths: Sequence[float],
    *,
    height: float,
    aligns: Sequence[Align] | None = None,
) -> None:
    """One bordered table row of single-line cells."""
    for i, (text, width) in enumerate(zip(cells, widths, strict=True)):
        pdf.cell(width, height, text, border=1, align=aligns[i] if aligns else "L")
    pdf.ln()


def wrapped_row(pdf: FPDF, cells: Sequence[str], widths: Sequence[float], *, height: float) -> None:
    """One bordered table row whose cells wrap; all as tall as the tallest, on a new page when it would
    not fit on this one."""
    lines = max(line_count(pdf, w, text, height) for text, w in zip(cells, widths, strict=True))
    if pdf.get_y() + height * lines > pdf.page_break_trigger:
        pdf.add_page()
    x, y = pdf.get_x(), pdf.get_y()
    left = x
    for text, width in zip(cells, widths, strict=True):
        pdf.rect(left, y, width, height * lines)
        pdf.set_xy(left, y)
        pdf.multi_cell(width, height, text, align="L", new_x="RIGHT", new_y="TOP")
        left += width
    pdf.set_xy(x, y + height * lines)


def even_widths(pdf: FPDF, columns: int) -> list[float]:
    """Equal column widths across the page between the margins."""
    return [pdf.epw / max(columns, 1)] * columns


def to_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
