"""Which needs remain for charities after government help (R-CHA-1), and whether they may be shared
(R-CHA-2; PIPL arts. 28–29: health data is sensitive personal information and needs its own consent).

Every case's needs (R-AID-1, issue 18): the structured needs assessment stated at intake, with the needs the
assessment computed (medical / education self-paid costs) in place of the stated ones of the same type. The
decision's help is set against the money needs in ``COVER_ORDER``; service needs without an amount are never
covered by money and remain as they are. Health needs: medical and psychological (mental-health information is
health data, PIPL art. 28) — shared only with ``share_health_data``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.contracts.common import Need, NeedType, Subtype
from shared.money import ZERO

HEALTH_NEED_TYPES = frozenset({NeedType.medical.value, NeedType.psychological.value})
"""Need types that are health data in themselves (a medical need and its self-paid amount, a psychological
need)."""
COVER_ORDER = (
    NeedType.living,
    NeedType.goods,
    NeedType.housing_repair,
    NeedType.medical,
    NeedType.education,
    NeedType.care,
    NeedType.employment,
    NeedType.psychological,
    NeedType.legal,
    NeedType.other,
)
"""After the assessed needs, temporary assistance (basic living, R-AMT-1) meets living costs first, then
goods, then housing repair, then the rest."""


@dataclass(frozen=True, slots=True)
class CaseNeed:
    """One need of a case; ``amount`` None for a service need without one."""

    need_type: str
    amount: Decimal | None


def case_needs(stated: Sequence[Mapping[str, Any]], assessed: Sequence[Mapping[str, Any]]) -> list[CaseNeed]:
    """The case's needs: the assessed ones first (the decision's order), then the stated ones of other types
    in ``COVER_ORDER``."""
    out = [CaseNeed(str(n["need_type"]), Decimal(str(n["amount"]))) for n in assessed]
    have = {n.need_type for n in out}
    order = {t.value: i for i, t in enumerate(COVER_ORDER)}
    rest = sorted(
        (n for n in stated if str(n["need_type"]) not in have),
        key=lambda n: order.get(str(n["need_type"]), 99),
    )
    for n in rest:
        amount = n.get("amount")
        out.append(CaseNeed(str(n["need_type"]), None if amount is None else Decimal(str(amount))))
    return out


def remaining_case_needs(needs: list[CaseNeed], government_amount: Decimal) -> list[CaseNeed]:
    """What remains after the decision (R-CHA-1): the help is set against the money needs in order; a need
    fully covered is gone, a service need without an amount stays."""
    left = government_amount
    out: list[CaseNeed] = []
    for need in needs:
        if need.amount is None:
            out.append(need)
            continue
        covered = min(need.amount, left)
        left -= covered
        if need.amount - covered > ZERO:
            out.append(CaseNeed(need.need_type, need.amount - covered))
    return out


HEALTH_SUBTYPES = frozenset({Subtype.medical.value, Subtype.sudden_illness.value})
"""Case sub-types whose every need is caused by illness: any need of such a case tells a partner about the
beneficiary's health (the need exists because of an illness, its amount follows from medical bills)."""


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


def may_share(consents: Mapping[str, bool]) -> bool:
    """R-CHA-2: only with the beneficiary's consent to share charity-needs information."""
    return bool(consents.get("share_with_charities"))


def reveals_health(need_type: str, subtype: str | None) -> bool:
    """Whether a needs record of this type, from a case of this sub-type, is health data."""
    return str(need_type) in HEALTH_NEED_TYPES or str(subtype) in HEALTH_SUBTYPES


def may_share_need(consents: Mapping[str, bool], *, need_type: str, subtype: str | None) -> bool:
    """The one place that decides whether a need reaches partners (topic, webhook, pull feed) — R-CHA-2:
    with consent to share with charities and, for anything of health, also the separate consent
    ``share_health_data`` (PIPL art. 29). Without it a health need is not shared at all — not even as a
    generalised need: the only amount it has is the medical self-paid amount, and a record without an
    amount cannot be offered or fulfilled (docs/partners.md, "Health data")."""
    if not may_share(consents):
        return False
    return bool(consents.get("share_health_data")) or not reveals_health(need_type, subtype)


def shareable_needs(needs: list[Need], consents: Mapping[str, bool], subtype: str | None) -> list[Need]:
    """The needs that may be offered to partners (``may_share_need``)."""
    return [n for n in needs if may_share_need(consents, need_type=n.need_type.value, subtype=subtype)]
