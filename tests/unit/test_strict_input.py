"""Numbers that are counts or money are what a client wrote, not what Python can coax out of it: a count
given as text or as a fraction, and an amount in full-width or Arabic-Indic digits, with an exponent or
with spaces around it, are refused (422 naming the field) instead of being silently converted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from services.intake.schemas import DocumentIn
from services.referral.schemas import ContractTarget
from shared.money import Money
from shared.retention_api import PolicyIn


class Amount(BaseModel):
    amount: Money


@pytest.mark.parametrize(
    "text", ["１２００.００", "١٢٠٠", "1.2e3", " 1200", "1200 ", "NaN", "Infinity", "+1200"]
)
def test_an_amount_in_anything_but_plain_ascii_digits_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Amount(amount=text)  # type: ignore[arg-type]
    assert refused.value.errors()[0]["loc"] == ("amount",)


@pytest.mark.parametrize(("given", "taken"), [("1200", "1200.00"), ("1200.5", "1200.50"), (1200, "1200.00")])
def test_plain_amounts_are_taken_to_the_fen(given: object, taken: str) -> None:
    assert Amount(amount=given).amount == Decimal(taken)  # type: ignore[arg-type]


def test_retention_years_are_whole_numbers_not_text_or_fractions() -> None:
    assert PolicyIn(effective_from="2027-01-01", years={"notices": 3}).years == {"notices": 3}  # type: ignore[arg-type]
    for wrong in ("3", 3.0, True):
        with pytest.raises(ValidationError):
            PolicyIn(effective_from="2027-01-01", years={"notices": wrong})  # type: ignore[arg-type]


def test_a_contracts_target_volume_is_a_whole_number() -> None:
    assert ContractTarget(need_type="living", volume=4).volume == 4  # type: ignore[arg-type]
    for wrong in ("4", 4.0, 4.5):
        with pytest.raises(ValidationError):
            ContractTarget(need_type="living", volume=wrong)  # type: ignore[arg-type]


def test_a_documents_size_is_a_whole_number_of_bytes() -> None:
    good = {
        "kind": "id_card",
        "media_type": "application/pdf",
        "sha256": "0" * 64,
        "storage_uri": "s3://archive/140311/id_card.pdf",
    }
    assert DocumentIn(**good, size_bytes=2048).size_bytes == 2048  # type: ignore[arg-type]
    for wrong in ("2048", 2048.0):
        with pytest.raises(ValidationError):
            DocumentIn(**good, size_bytes=wrong)  # type: ignore[arg-type]
