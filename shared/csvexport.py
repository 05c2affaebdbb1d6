"""CSV exports that are safe to open in a spreadsheet (OWASP "CSV Injection"): a text cell starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return would be run as a formula by Excel, WPS or LibreOffice
(``=HYPERLINK(...)`` in a procurement reference published verbatim), so it gets a leading single quote and
is shown as text. Numbers stay numbers: a number, or a string that is exactly a decimal number such as
``-12.50``, is written unchanged — it cannot run anything, and a negative figure must stay usable in a sum.
Every CSV writer of the project goes through ``to_csv``."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """The cell as written: ``None`` empty, numbers unchanged, formula-like text neutralised."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.match(text):
        return "'" + text
    return text


def to_csv(fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A header and one line per row (missing cells empty), every cell through ``safe_cell``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fieldnames), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return out.getvalue()
