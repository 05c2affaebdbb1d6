"""The printable decision letter (救助决定书 / 不予救助决定书): A4 PDF in Chinese with the packaged fonts in
``fonts/`` — Droid Sans Fallback (Apache-2.0) for Chinese, DejaVu Sans (Bitstream Vera licence) for Latin
letters and digits, which the CJK font lacks; fpdf2 embeds only the glyphs used."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
CJK_FONT = FONTS / "DroidSansFallbackFull.ttf"
LATIN_FONT = FONTS / "DejaVuSans.ttf"


def render_letter(title: str, paragraphs: list[str], *, reference: str) -> bytes:
    """A one-or-more-page letter: title, then paragraphs; the last two (office, date) right-aligned."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("assistance household service")
    pdf.add_font("latin", fname=str(LATIN_FONT))
    pdf.add_font("cjk", fname=str(CJK_FONT))
    pdf.set_fallback_fonts(["latin"], exact_match=False)
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 8, reference, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("cjk", size=12)
    body, signature = paragraphs[:-2], paragraphs[-2:]
    for text in body:
        pdf.multi_cell(0, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(12)
    for text in signature:
        pdf.multi_cell(0, 8, text, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
