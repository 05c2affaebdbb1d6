"""The printable letters (救助决定书 / 不予救助决定书 / 复核决定书): title, reference line, the body's
paragraphs, then office and date right-aligned; the page mechanics and fonts are ``shared/pdf.py``."""

from __future__ import annotations

from shared import pdf as doc


def render_letter(title: str, paragraphs: list[str], *, reference: str) -> bytes:
    """A one-or-more-page letter: title, then paragraphs; the last two (office, date) right-aligned."""
    pdf = doc.new_document(title, creator="assistance household service", margin=25)
    doc.heading(pdf, title, size=20, height=14)
    doc.heading(pdf, reference, size=10, height=8)
    pdf.ln(6)
    pdf.set_font(doc.CJK, size=12)
    body, signature = paragraphs[:-2], paragraphs[-2:]
    for text in body:
        doc.paragraph(pdf, text, height=8)
        pdf.ln(2)
    pdf.ln(12)
    for text in signature:
        doc.paragraph(pdf, text, height=8, align="R")
    return doc.to_bytes(pdf)
