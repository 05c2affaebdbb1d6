"""Which needs remain for charities after government help (R-CHA-1), and whether they may be shared."""

from __future__ import annotations

from decimal import Decimal

from shared.contracts.common import Need
from shared.money import ZERO


def remaining_needs(needs: list[Need], government_amount: Decimal) -> list[Need]:
    """Government help is set against the needs in order; what is left is offered to charities."""
    left = government_amount
    out: list[Need] = []
    for need in needs:
        covered = min(need.amount, left)
        left -= covered
        if need.amount - covered > ZERO:
            out.append(Need(need_type=need.need_type, amount=need.amount - covered))
    return out


def may_share(consents: dict[str, bool]) -> bool:
    """R-CHA-2: only with the beneficiary's consent to share charity-needs information."""
    return bool(consents.get("share_with_charities"))
