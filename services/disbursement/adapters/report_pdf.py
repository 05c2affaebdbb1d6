"""The printable reserve-fund report (备用金使用情况报告, R-RES-2): heading lines, the totals table, one row
per case; the page mechanics and fonts are ``shared/pdf.py``."""

from __future__ import annotations

from collections.abc import Sequence

from shared import pdf as doc


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
    pdf = doc.new_document(title, creator="assistance disbursement service", margin=20)
    doc.heading(pdf, title, size=18, height=12)
    pdf.ln(4)
    pdf.set_font(doc.CJK, size=11)
    for label, value in heading:
        pdf.cell(60, 7, label)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in totals:
        doc.row(pdf, [label, value], [60, 50], height=7, aligns=["L", "R"])
    pdf.ln(6)
    sizes = list(widths) if widths else doc.even_widths(pdf, len(case_columns))
    pdf.set_font(doc.CJK, size=9)
    doc.row(pdf, case_columns, sizes, height=7, aligns=["C"] * len(case_columns))
    for cells in cases:
        doc.row(pdf, cells, sizes, height=7)
    return doc.to_bytes(pdf)
