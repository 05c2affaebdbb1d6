"""Bank batch-payment files (代发文件) and the bank's return files (回盘文件): pure format code, no I/O.

A format renders a batch of approved transfers into the bytes a bank takes and parses the bank's answer
back; formats are registered by name (``FORMATS``) and a county's bank settings choose one. The layouts
are documented in docs/bank-file.md. Files are GBK-encoded (what the domestic banks' 代发 systems take),
lines end with CRLF, amounts are yuan with two decimals, and the trailer carries the control totals and
the SHA-256 of the detail lines so the bank can refuse a file damaged on the way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from services.disbursement.domain.errors import BankFileError as BankFileError

ENCODING = "gbk"
PURPOSE = "临时救助金"
"""The purpose (用途) shown on the beneficiary's statement."""
EOL = "\r\n"
_AMOUNT = re.compile(r"^\d{1,12}\.\d{2}$")
_ACCOUNT = re.compile(r"^\d{8,30}$")
_REFERENCE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_BATCH_NO = re.compile(r"^[A-Za-z0-9-]{1,32}$")


@dataclass(frozen=True)
class Transfer:
    """One detail line: a transfer to a beneficiary's account."""

    seq: int
    account: str
    name: str
    amount: Decimal
    reference: str


@dataclass(frozen=True)
class Batch:
    batch_no: str
    batch_date: date
    payer_account: str
    payer_name: str
    transfers: tuple[Transfer, ...]

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.transfers), Decimal("0.00"))


@dataclass(frozen=True)
class ReturnLine:
    """The bank's result for one transfer: paid (S), failed (F) or returned (R, 退汇) with its reason."""

    line: int
    seq: int
    reference: str
    account: str
    amount: Decimal
    status: str
    reason_code: str | None
    reason_text: str | None


@dataclass(frozen=True)
class ReturnFile:
    batch_no: str
    return_date: date
    lines: tuple[ReturnLine, ...]


RETURN_STATUSES = {"S": "paid", "F": "failed", "R": "returned"}


class BankFormat(Protocol):
    name: str

    def render(self, batch: Batch) -> bytes: ...

    def parse_return(self, data: bytes) -> ReturnFile: ...


def checksum(detail_lines: list[str]) -> str:
    """SHA-256 (hex) of the detail lines as GBK bytes, each followed by CRLF."""
    return hashlib.sha256("".join(d + EOL for d in detail_lines).encode(ENCODING)).hexdigest()


def yuan(amount: Decimal) -> str:
    if amount != amount.quantize(Decimal("0.01")) or amount < 0:
        raise ValueError(f"amount {amount} is not a non-negative sum of fen")
    return f"{amount:.2f}"


def _text(value: str, line: int, field: str, width: int | None = None) -> str:
    """A field the layout can carry: no separator or line break, GBK-encodable, at most ``width`` bytes."""
    if any(c in value for c in "|\r\n") or not value.strip():
        raise BankFileError(line, field, "is empty or holds a '|' or a line break")
    try:
        size = len(value.encode(ENCODING))
    except UnicodeEncodeError as exc:
        raise BankFileError(line, field, "has a character that GBK cannot encode") from exc
    if width is not None and size > width:
        raise BankFileError(line, field, f"is longer than {width} bytes in GBK")
    return value


def _check_batch(batch: Batch) -> None:
    if not _BATCH_NO.match(batch.batch_no):
        raise BankFileError(1, "batch_no", "must be 1-32 letters, digits or '-'")
    if not _ACCOUNT.match(batch.payer_account):
        raise BankFileError(1, "payer_account", "must be 8-30 digits")
    _text(batch.payer_name, 1, "payer_name", 60)
    if not batch.transfers:
        raise BankFileError(1, "count", "a batch has at least one transfer")
    for n, t in enumerate(batch.transfers, start=2):
        if t.seq != n - 1:
            raise BankFileError(n, "seq", "detail lines are numbered 1, 2, 3, …")
        if not _ACCOUNT.match(t.account):
            raise BankFileError(n, "account", "must be 8-30 digits")
        if not _REFERENCE.match(t.reference):
            raise BankFileError(n, "reference", "must be 1-64 letters, digits or '-'")
        _text(t.name, n, "name", 60)
        if t.amount <= 0:
            raise BankFileError(n, "amount", "must be positive")


def _decode_lines(data: bytes) -> list[str]:
    if not data:
        raise BankFileError(1, "file", "is empty")
    raw = data.split(b"\r\n")
    if raw[-1] == b"":
        raw.pop()
    lines = []
    for n, chunk in enumerate(raw, start=1):
        try:
            lines.append(chunk.decode(ENCODING))
        except UnicodeDecodeError as exc:
            raise BankFileError(n, "encoding", "is not GBK text") from exc
        if "\n" in lines[-1] or "\r" in lines[-1]:
            raise BankFileError(n, "line", "lines must end with CRLF")
    return lines


def _amount(value: str, line: int, field: str = "amount") -> Decimal:
    if not _AMOUNT.match(value):
        raise BankFileError(line, field, f"{value[:20]!r} is not yuan with two decimals (e.g. 1200.00)")
    return Decimal(value)


def _day(value: str, line: int, field: str) -> date:
    if not re.fullmatch(r"\d{8}", value):
        raise BankFileError(line, field, "must be a date YYYYMMDD")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise BankFileError(line, field, "is not a calendar date") from exc


def _fields(text: str, line: int, kind: str, names: tuple[str, ...]) -> dict[str, str]:
    parts = text.split("|")
    if parts[0] != kind:
        raise BankFileError(line, "record_type", f"expected {kind!r}, found {parts[0][:4]!r}")
    if len(parts) != len(names) + 1:
        raise BankFileError(
            line, "record", f"a {kind} record has {len(names) + 1} fields, found {len(parts)}"
        )
    return dict(zip(names, parts[1:], strict=True))


_RETURN_HEAD = ("batch_no", "return_date", "count")
_RETURN_LINE = ("seq", "reference", "account", "amount", "status", "reason_code", "reason_text")
_RETURN_TAIL = ("count", "total", "checksum")


def _return_line(f: dict[str, str], n: int, expected_seq: int) -> ReturnLine:
    if f["seq"] != str(expected_seq):
        raise BankFileError(n, "seq", f"expected {expected_seq}")
    if not _REFERENCE.match(f["reference"]):
        raise BankFileError(n, "reference", "must be 1-64 letters, digits or '-'")
    if not _ACCOUNT.match(f["account"]):
        raise BankFileError(n, "account", "must be 8-30 digits")
    amount = _amount(f["amount"], n)
    if f["status"] not in RETURN_STATUSES:
        raise BankFileError(n, "status", "must be S (paid), F (failed) or R (returned)")
    if f["status"] != "S" and not (f["reason_code"] and f["reason_text"]):
        raise BankFileError(n, "reason_code", "a failed or returned line needs its reason code and text")
    return ReturnLine(
        line=n,
        seq=expected_seq,
        reference=f["reference"],
        account=f["account"],
        amount=amount,
        status=RETURN_STATUSES[f["status"]],
        reason_code=f["reason_code"] or None,
        reason_text=f["reason_text"] or None,
    )


def peek_batch_no(data: bytes) -> str:
    """The batch number a return file answers (second field of its header), before its format is known."""
    first = data.split(b"\r\n", 1)[0]
    parts = first.split(b"|")
    if len(parts) < 2 or parts[0] != b"H":
        raise BankFileError(1, "record_type", "a return file starts with its H header record")
    batch_no = parts[1].decode("ascii", errors="replace")
    if not _BATCH_NO.match(batch_no):
        raise BankFileError(1, "batch_no", "must be 1-32 letters, digits or '-'")
    return batch_no


def parse_delimited_return(data: bytes) -> ReturnFile:
    """The return layout shared by the delimited formats (docs/bank-file.md); any fault names its line."""
    lines = _decode_lines(data)
    if len(lines) < 2:
        raise BankFileError(len(lines) + 1, "record_type", "a return file needs a header and a trailer")
    head = _fields(lines[0], 1, "H", _RETURN_HEAD)
    if not _BATCH_NO.match(head["batch_no"]):
        raise BankFileError(1, "batch_no", "must be 1-32 letters, digits or '-'")
    returned = _day(head["return_date"], 1, "return_date")
    details, seen = [], set()
    for n, text in enumerate(lines[1:-1], start=2):
        item = _return_line(_fields(text, n, "D", _RETURN_LINE), n, n - 1)
        if item.reference in seen:
            raise BankFileError(n, "reference", f"{item.reference} appears twice in the file")
        seen.add(item.reference)
        details.append(item)
    last = len(lines)
    tail = _fields(lines[-1], last, "T", _RETURN_TAIL)
    _control(head["count"], 1, len(details))
    _control(tail["count"], last, len(details))
    total = sum((d.amount for d in details), Decimal("0.00"))
    if _amount(tail["total"], last, "total") != total:
        raise BankFileError(last, "total", f"the lines add up to {yuan(total)}")
    if tail["checksum"].lower() != checksum(lines[1:-1]):
        raise BankFileError(last, "checksum", "is not the SHA-256 of the detail lines")
    return ReturnFile(batch_no=head["batch_no"], return_date=returned, lines=tuple(details))


def _control(value: str, line: int, count: int) -> None:
    if not value.isdigit() or int(value) != count:
        raise BankFileError(line, "count", f"the file has {count} detail lines")


@dataclass(frozen=True)
class StatementLine:
    """One movement on the payer account: a debit (DR, a transfer out) or a credit (CR, money returned)."""

    line: int
    value_date: date
    reference: str
    direction: str
    amount: Decimal
    counterparty: str


@dataclass(frozen=True)
class Statement:
    payer_account: str
    start: date
    end: date
    lines: tuple[StatementLine, ...]


_STATEMENT_HEAD = ("payer_account", "from", "to", "count")
_STATEMENT_LINE = ("seq", "value_date", "reference", "direction", "amount", "counterparty")
_STATEMENT_TAIL = ("count", "debits", "credits", "checksum")


def parse_statement(data: bytes) -> Statement:
    """The payer account's statement (对账单) in the delimited layout (docs/bank-file.md)."""
    lines = _decode_lines(data)
    if len(lines) < 2:
        raise BankFileError(len(lines) + 1, "record_type", "a statement needs a header and a trailer")
    head = _fields(lines[0], 1, "H", _STATEMENT_HEAD)
    if not _ACCOUNT.match(head["payer_account"]):
        raise BankFileError(1, "payer_account", "must be 8-30 digits")
    start, end = _day(head["from"], 1, "from"), _day(head["to"], 1, "to")
    if end < start:
        raise BankFileError(1, "to", "the period ends before it starts")
    details = []
    for n, text in enumerate(lines[1:-1], start=2):
        f = _fields(text, n, "D", _STATEMENT_LINE)
        if f["seq"] != str(n - 1):
            raise BankFileError(n, "seq", f"expected {n - 1}")
        if f["direction"] not in ("DR", "CR"):
            raise BankFileError(n, "direction", "must be DR (debit) or CR (credit)")
        if not _REFERENCE.match(f["reference"]):
            raise BankFileError(n, "reference", "must be 1-64 letters, digits or '-'")
        if not _ACCOUNT.match(f["counterparty"]):
            raise BankFileError(n, "counterparty", "must be 8-30 digits")
        day = _day(f["value_date"], n, "value_date")
        if not start <= day <= end:
            raise BankFileError(n, "value_date", "is outside the statement's period")
        details.append(
            StatementLine(n, day, f["reference"], f["direction"], _amount(f["amount"], n), f["counterparty"])
        )
    last = len(lines)
    tail = _fields(lines[-1], last, "T", _STATEMENT_TAIL)
    _control(head["count"], 1, len(details))
    _control(tail["count"], last, len(details))
    for field, direction in (("debits", "DR"), ("credits", "CR")):
        total = sum((d.amount for d in details if d.direction == direction), Decimal("0.00"))
        if _amount(tail[field], last, field) != total:
            raise BankFileError(last, field, f"the {direction} lines add up to {yuan(total)}")
    if tail["checksum"].lower() != checksum(lines[1:-1]):
        raise BankFileError(last, "checksum", "is not the SHA-256 of the detail lines")
    return Statement(head["payer_account"], start, end, tuple(details))


class DelimitedDaifa:
    """``cn-daifa-delimited-v1``: '|'-separated records H (header), D (details), T (trailer), modelled on
    the TXT 代发 upload of the large commercial banks' corporate internet banking."""

    name = "cn-daifa-delimited-v1"

    def render(self, batch: Batch) -> bytes:
        _check_batch(batch)
        details = [
            f"D|{t.seq}|{t.account}|{t.name}|{yuan(t.amount)}|{t.reference}|{PURPOSE}"
            for t in batch.transfers
        ]
        count, total = len(details), yuan(batch.total)
        head = (
            f"H|{batch.batch_no}|{batch.batch_date:%Y%m%d}|{batch.payer_account}|{batch.payer_name}"
            f"|{count}|{total}|CNY"
        )
        tail = f"T|{count}|{total}|{checksum(details)}"
        return EOL.join([head, *details, tail, ""]).encode(ENCODING)

    def parse_return(self, data: bytes) -> ReturnFile:
        return parse_delimited_return(data)


class FixedWidthDaifa:
    """``cn-daifa-fixed-v1``: the same records in fixed-width fields (widths in GBK bytes, text left-aligned
    and space-padded, numbers right-aligned and zero-padded, amounts in fen), as older host systems take."""

    name = "cn-daifa-fixed-v1"

    def render(self, batch: Batch) -> bytes:
        _check_batch(batch)
        details = [
            "D"
            + f"{t.seq:06d}"
            + _pad(t.account, 30)
            + _pad(t.name, 60)
            + f"{_fen(t.amount):015d}"
            + _pad(t.reference, 64)
            + _pad(PURPOSE, 20)
            for t in batch.transfers
        ]
        head = (
            "H"
            + _pad(batch.batch_no, 32)
            + f"{batch.batch_date:%Y%m%d}"
            + _pad(batch.payer_account, 30)
            + _pad(batch.payer_name, 60)
            + f"{len(details):06d}{_fen(batch.total):015d}CNY"
        )
        tail = f"T{len(details):06d}{_fen(batch.total):015d}{checksum(details)}"
        return EOL.join([head, *details, tail, ""]).encode(ENCODING)

    def parse_return(self, data: bytes) -> ReturnFile:
        return parse_delimited_return(data)  # the banks answer both uploads with the delimited 回盘


def _pad(value: str, width: int) -> str:
    return value + " " * (width - len(value.encode(ENCODING)))


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


FORMATS: dict[str, BankFormat] = {f.name: f for f in (DelimitedDaifa(), FixedWidthDaifa())}
DEFAULT_FORMAT = DelimitedDaifa.name


def bank_format(name: str) -> BankFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown bank format {name!r}; known: {', '.join(sorted(FORMATS))}") from None


def in_receipt_sample(seed: str, reference: str, rate: Decimal) -> bool:
    """Deterministic sampling for receipt checks: the first 8 bytes of SHA-256(seed:reference) as a
    fraction of 2^64 fall below ``rate``. The same seed and reference are always in or out, so the sample
    can be re-derived by an auditor from the county's seed alone."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{reference}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64) < rate
