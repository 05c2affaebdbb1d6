"""The bank file layouts (docs/bank-file.md) as pure functions: what a bank receives, what a malformed
return file is refused for (its line and field), and the seeded receipt-check sample."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from services.disbursement.domain.bankfile import (
    FORMATS,
    BankFileError,
    Batch,
    Transfer,
    bank_format,
    in_receipt_sample,
    parse_delimited_return,
    parse_statement,
)


def _batch(**overrides):
    transfers = (
        Transfer(1, "6222020200112233445", "张小明", Decimal("1200.00"), "TA-aaaa-01"),
        Transfer(2, "6216610000009876", "欧阳明月", Decimal("350.50"), "TA-bbbb-01"),
    )
    values = {
        "batch_no": "14032220261201001",
        "batch_date": date(2026, 12, 1),
        "payer_account": "0502020009022100001",
        "payer_name": "盂县财政局",
        "transfers": transfers,
        **overrides,
    }
    return Batch(**values)


def test_a_delimited_batch_file_carries_its_control_totals_and_the_checksum_of_its_details():
    data = bank_format("cn-daifa-delimited-v1").render(_batch())
    lines = data.decode("gbk").split("\r\n")
    assert lines[-1] == "" and len(lines) == 5
    assert lines[0] == "H|14032220261201001|20261201|0502020009022100001|盂县财政局|2|1550.50|CNY"
    assert lines[1] == "D|1|6222020200112233445|张小明|1200.00|TA-aaaa-01|临时救助金"
    digest = hashlib.sha256((lines[1] + "\r\n" + lines[2] + "\r\n").encode("gbk")).hexdigest()
    assert lines[3] == f"T|2|1550.50|{digest}"


def test_a_fixed_width_batch_file_has_the_same_width_on_every_detail_line_in_gbk_bytes():
    data = bank_format("cn-daifa-fixed-v1").render(_batch())
    raw = data.split(b"\r\n")
    assert len(raw[1]) == len(raw[2]) == 1 + 6 + 30 + 60 + 15 + 64 + 20
    assert raw[1][37 + 60 : 37 + 60 + 15] == b"000000000120000"  # fen, zero-padded
    assert raw[3].startswith(b"T000002000000000155050")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_name_the_layout_cannot_carry_is_refused_naming_its_line(name):
    bad = _batch(transfers=(Transfer(1, "6222020200112233445", "张|明", Decimal("1.00"), "TA-a-01"),))
    with pytest.raises(BankFileError) as refused:
        bank_format(name).render(bad)
    assert (refused.value.line, refused.value.field) == (2, "name")
    not_gbk = _batch(transfers=(Transfer(1, "6222020200112233445", "𠮷野", Decimal("1.00"), "TA-a-01"),))
    with pytest.raises(BankFileError, match="GBK"):
        bank_format(name).render(not_gbk)


def _return(*details: str, total: str | None = None, count: int | None = None) -> bytes:
    raw = [d.encode("gbk") for d in details]
    digest = hashlib.sha256(b"".join(r + b"\r\n" for r in raw)).hexdigest()
    sums = total or f"{sum(Decimal(d.split('|')[4]) for d in details):.2f}"
    n = len(details) if count is None else count
    head = f"H|14032220261201001|20261202|{n}".encode()
    return b"\r\n".join([head, *raw, f"T|{n}|{sums}|{digest}".encode()]) + b"\r\n"


def test_a_return_file_is_read_line_by_line_with_its_statuses_and_reasons():
    parsed = parse_delimited_return(
        _return(
            "D|1|TA-aaaa-01|6222020200112233445|1200.00|S||",
            "D|2|TA-bbbb-01|6216610000009876|350.50|F|E101|账户已冻结",
        )
    )
    assert parsed.batch_no == "14032220261201001" and parsed.return_date == date(2026, 12, 2)
    assert [(r.line, r.status, r.reason_code) for r in parsed.lines] == [
        (2, "paid", None),
        (3, "failed", "E101"),
    ]
    assert parsed.lines[1].reason_text == "账户已冻结"


@pytest.mark.parametrize(
    ("details", "line", "field"),
    [
        (("D|1|TA-a-01|6222020200112233445|12.3|S||",), 2, "amount"),
        (("D|1|TA-a-01|6222020200112233445|12.30|X||",), 2, "status"),
        (("D|1|TA-a-01|6222020200112233445|12.30|F||",), 2, "reason_code"),
        (("D|1|TA-a-01|62220|12.30|S||",), 2, "account"),
        (("D|1|TA-a-01|6222020200112233445|12.30|S||", "D|3|TA-b-01|6222020200112233445|1.00|S||"), 3, "seq"),
        (
            ("D|1|TA-a-01|6222020200112233445|12.30|S||", "D|2|TA-a-01|6222020200112233445|1.00|S||"),
            3,
            "reference",
        ),
        (("D|1|TA-a-01|6222020200112233445|12.30|S|",), 2, "record"),
    ],
)
def test_a_malformed_return_line_names_its_line_and_field(details, line, field):
    with pytest.raises(BankFileError) as refused:
        parse_delimited_return(_return(*details))
    assert (refused.value.line, refused.value.field) == (line, field)


def test_a_return_trailer_that_does_not_add_up_is_refused():
    one = "D|1|TA-a-01|6222020200112233445|12.30|S||"
    with pytest.raises(BankFileError) as total:
        parse_delimited_return(_return(one, total="99.99"))
    assert (total.value.line, total.value.field) == (3, "total")
    with pytest.raises(BankFileError) as count:
        parse_delimited_return(_return(one, count=2))
    assert (count.value.line, count.value.field) == (1, "count")


def test_the_receipt_sample_is_deterministic_per_seed_and_close_to_its_rate():
    refs = [f"TA-{i:024d}-01" for i in range(10_000)]
    rate = Decimal("0.10")
    sample = {r for r in refs if in_receipt_sample("seed-a", r, rate)}
    assert sample == {r for r in refs if in_receipt_sample("seed-a", r, rate)}
    assert 900 <= len(sample) <= 1100
    assert sample != {r for r in refs if in_receipt_sample("seed-b", r, rate)}
    assert not any(in_receipt_sample("seed-a", r, Decimal(0)) for r in refs[:100])
    assert all(in_receipt_sample("seed-a", r, Decimal(1)) for r in refs[:100])


def _statement(*details: str, start: str = "20261201", end: str = "20261201") -> bytes:
    raw = [d.encode("gbk") for d in details]
    digest = hashlib.sha256(b"".join(r + b"\r\n" for r in raw)).hexdigest()
    debit = sum((Decimal(d.split("|")[5]) for d in details if "|DR|" in d), Decimal("0.00"))
    credit = sum((Decimal(d.split("|")[5]) for d in details if "|CR|" in d), Decimal("0.00"))
    head = f"H|0502020009022100001|{start}|{end}|{len(raw)}".encode()
    tail = f"T|{len(raw)}|{debit:.2f}|{credit:.2f}|{digest}".encode()
    return b"\r\n".join([head, *raw, tail]) + b"\r\n"


def test_a_statement_lists_debits_and_credits_and_refuses_a_line_outside_its_period():
    parsed = parse_statement(
        _statement(
            "D|1|20261201|TA-a-01|DR|12.30|6222020200112233445",
            "D|2|20261201|TA-a-01|CR|12.30|6222020200112233445",
        )
    )
    assert [(line.direction, line.amount) for line in parsed.lines] == [
        ("DR", Decimal("12.30")),
        ("CR", Decimal("12.30")),
    ]
    with pytest.raises(BankFileError) as late:
        parse_statement(_statement("D|1|20261202|TA-a-01|DR|12.30|6222020200112233445"))
    assert (late.value.line, late.value.field) == (2, "value_date")
    with pytest.raises(BankFileError) as way:
        parse_statement(_statement("D|1|20261201|TA-a-01|XX|12.30|6222020200112233445"))
    assert (way.value.line, way.value.field) == (2, "direction")
