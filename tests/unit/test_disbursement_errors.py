"""Disbursement's refusals are domain errors (services/disbursement/domain/errors.py) that become
problem+json in one place (shared/errors.py): policy and state refusals are 409, a malformed bank file 422."""

from __future__ import annotations

import pytest

from services.disbursement.domain.bankfile import parse_statement
from services.disbursement.domain.errors import (
    BankFileError,
    MalformedFile,
    PaymentState,
    ProcurementReferenceMissing,
    ReserveFundExhausted,
    WitnessNotIndependent,
)
from shared.errors import problem_of


def test_a_reserve_fund_that_cannot_cover_a_draw_is_a_409_citing_r_res() -> None:
    problem = problem_of(ReserveFundExhausted("the reserve fund holds less than 500.00"))
    body = problem.body()
    assert (problem.status, body["type"].rsplit("/", 1)[1], body["rule"]) == (
        409,
        "reserve-fund-short",
        "R-RES",
    )


def test_a_witness_who_hands_over_is_a_four_eyes_refusal_naming_the_field() -> None:
    body = problem_of(WitnessNotIndependent()).body()
    assert (body["status"], body["type"].rsplit("/", 1)[1], body["rule"]) == (
        409,
        "separation-of-duties",
        "R-AID-2",
    )
    assert body["errors"][0]["field"] == "witness_name"


def test_goods_without_their_procurement_reference_stay_a_payload_error() -> None:
    body = problem_of(ProcurementReferenceMissing()).body()
    assert (body["status"], body["errors"][0]["field"]) == (422, "procurement_reference")


def test_a_payment_in_the_wrong_state_keeps_its_slug() -> None:
    body = problem_of(PaymentState("payment x is paid: cannot record failed")).body()
    assert (body["status"], body["type"].rsplit("/", 1)[1]) == (409, "payment-state")


def test_a_malformed_bank_file_is_a_422_naming_line_and_field_and_that_nothing_was_applied() -> None:
    with pytest.raises(BankFileError) as refused:
        parse_statement(b"")
    body = problem_of(MalformedFile(refused.value)).body()
    assert (body["status"], body["line"], body["field"]) == (422, 1, "file")
    assert body["type"].endswith("/malformed-bank-file") and body["detail"].endswith(
        "nothing of the file was applied"
    )
    assert body["errors"][0]["field"] == "line[1].file"
