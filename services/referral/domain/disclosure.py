"""Who received a person's data, what classes of it and on which consent (PIPL arts. 23, 45; R-RIGHTS-3,
R-CHA-2).

What a partner receives is fixed by the published payloads: an offered needs record (``ReferralOffered``)
carries the pseudonymous case reference, the township, the need type, the remaining amount, the household
size and the contact route — never a name, an ID number or a phone; a scheme referral
(``SchemeReferralCreated``) the need type, the requested amount and the township. A health need is health
data (sensitive, PIPL art. 28) and was shared only under the separate health consent."""

from __future__ import annotations

from collections.abc import Mapping

from services.referral.domain.needs import reveals_health

OFFER_CLASSES = ("case_ref", "township", "need_type", "remaining_amount", "household_size", "contact_route")
SCHEME_CLASSES = ("township", "need_type", "requested_amount")
NEEDS_RECORD, SCHEME_REFERRAL = "needs_record", "scheme_referral"


def data_classes(via: str, need_type: str, subtype: str | None) -> list[str]:
    """The classes of data the partner received; ``health`` when the need reveals it."""
    classes = list(OFFER_CLASSES if via == NEEDS_RECORD else SCHEME_CLASSES)
    return [*classes, "health"] if reveals_health(need_type, subtype) else classes


def consents_relied_on(via: str, need_type: str, subtype: str | None) -> list[str]:
    """R-CHA-2: a charity receives a needs record only on the consent to share with charities, and one of
    health also on ``share_health_data``; a scheme referral is made by staff to a government scheme (R-AID-1)
    and relies on no sharing consent."""
    if via != NEEDS_RECORD:
        return []
    health = reveals_health(need_type, subtype)
    return ["share_with_charities", "share_health_data"] if health else ["share_with_charities"]


def consent_in_force(relied_on: list[str], consents: Mapping[str, bool] | None) -> bool:
    """Whether every consent the disclosure relied on still stands (False once one was withdrawn)."""
    held = consents or {}
    return all(bool(held.get(c)) for c in relied_on)
