"""The case's printable forms (R-ARC-1): the 临时救助审核审批表, a bordered two-column form; the page
mechanics and fonts are ``shared/pdf.py``."""

from __future__ import annotations

from datetime import datetime

from shared import pdf as doc

Section = tuple[str, list[tuple[str, str]]]
"""A heading and its (label, value) rows."""
LABEL_WIDTH = 50


def render_form(title: str, reference: str, sections: list[Section], *, made_at: datetime) -> bytes:
    """Per section a shaded heading row, then label | value rows (wrapped, as tall as the taller)."""
    pdf = doc.new_document(title, creator="assistance intake service", margin=18, made_at=made_at)
    doc.heading(pdf, title, size=18, height=12)
    doc.heading(pdf, reference, size=9, height=7)
    pdf.ln(3)
    widths = [LABEL_WIDTH, pdf.epw - LABEL_WIDTH]
    for heading, rows in sections:
        pdf.set_font(doc.CJK, size=11)
        pdf.set_fill_color(230, 230, 230)
        pdf.cell(0, 8, heading, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(doc.CJK, size=10)
        for label, value in rows:
            doc.wrapped_row(pdf, [label, value or "—"], widths, height=7)
    return doc.to_bytes(pdf)
