"""The one rule deciding what of a case may reach partners (R-CHA-2; PIPL arts. 28–29)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.referral.domain.needs import may_share_need, shareable_needs
from shared.contracts.common import Need, NeedType

BOTH = {"share_with_charities": True, "share_health_data": True}
CHARITIES_ONLY = {"share_with_charities": True, "share_health_data": False}
HEALTH_ONLY = {"share_with_charities": False, "share_health_data": True}


@pytest.mark.parametrize(
    ("need_type", "subtype", "consents", "shared"),
    [
        ("medical", "medical", BOTH, True),
        ("medical", "medical", CHARITIES_ONLY, False),
        ("medical", "sudden_illness", CHARITIES_ONLY, False),
        ("living", "sudden_illness", CHARITIES_ONLY, False),  # caused by illness: health data too
        ("education", "medical", CHARITIES_ONLY, False),
        ("education", "education", CHARITIES_ONLY, True),
        ("living", "fire_or_accident", CHARITIES_ONLY, True),
        ("medical", "other_expenditure", CHARITIES_ONLY, False),
        ("education", "education", HEALTH_ONLY, False),  # health consent alone shares nothing
        ("medical", "medical", HEALTH_ONLY, False),
        ("medical", "medical", {"share_with_charities": True}, False),  # an absent consent is no consent
    ],
)
def test_a_health_need_is_shared_only_with_the_separate_health_consent(need_type, subtype, consents, shared):
    assert may_share_need(consents, need_type=need_type, subtype=subtype) is shared


def test_without_health_consent_a_health_need_is_dropped_not_generalised():
    needs = [Need(need_type=NeedType.medical, amount=Decimal("12000.00"))]
    assert shareable_needs(needs, CHARITIES_ONLY, "medical") == []
    assert shareable_needs(needs, BOTH, "medical") == needs
