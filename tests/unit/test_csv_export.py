"""CSV formula injection (OWASP): every CSV export neutralises text cells a spreadsheet would run as a
formula, and keeps numbers — also negative ones — usable."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from services.disbursement.service.funds import DISCLOSURE_FIELDS
from services.disbursement.service.funds import to_csv as disclosure_csv
from shared.csvexport import safe_cell
from shared.figures import to_csv as figures_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("YQ-ZFCG-2026-0815", "YQ-ZFCG-2026-0815"),
        ("张*明", "张*明"),
        ("-12.50", "-12.50"),  # a negative amount stays a number
        ("+3", "+3"),
        ("-1e3", "-1e3"),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-7, -7),
        (None, ""),
    ],
)
def test_a_formula_like_cell_is_neutralised_and_a_number_is_kept(value, written):
    assert safe_cell(value) == written


def test_a_formula_in_a_procurement_reference_is_neutralised_in_the_disclosure_csv():
    row = dict.fromkeys(DISCLOSURE_FIELDS, "")
    row.update(amount="-300.00", procurement_reference='=HYPERLINK("http://evil.example","查看")')
    [parsed] = list(csv.DictReader(io.StringIO(disclosure_csv([row]))))
    assert parsed["procurement_reference"] == '\'=HYPERLINK("http://evil.example","查看")'
    assert parsed["amount"] == "-300.00"


def test_figures_csv_neutralises_text_and_keeps_negative_figures():
    payload = {
        "service": "approval",
        "by_township": [{"township_code": "@cmd", "amount": Decimal("-5.00"), "note": "=1+1"}],
        "totals": {"amount": "-5.00", "label": "+x"},
    }
    rows = list(csv.DictReader(io.StringIO(figures_csv(payload))))
    assert rows[0]["township_code"] == "'@cmd" and rows[0]["note"] == "'=1+1"
    assert rows[0]["amount"] == "-5.00" and rows[1]["amount"] == "-5.00" and rows[1]["label"] == "'+x"
