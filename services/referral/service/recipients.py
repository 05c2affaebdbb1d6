"""The recipients list of a person's data (PIPL arts. 23, 45): which partners received what, when and on
which consent, for the cases intake names — within the caller's jurisdiction (R-CHA-2)."""

from __future__ import annotations

from services.referral import repository as repo
from services.referral.domain.disclosure import consent_in_force, consents_relied_on, data_classes
from services.referral.domain.model import Case
from services.referral.repository import recipient_queries
from shared.access import caller, covers, note_place
from shared.person_data import Recipient
from shared.runtime import Runtime


def _place(case: Case) -> tuple[str | None, str | None]:
    decided = case.decision or {}
    return case.county_code or decided.get("county_code"), case.township_code or decided.get("township_code")


def _covered(case: Case) -> bool:
    principal = caller()
    county, township = _place(case)
    if principal is not None and not covers(principal, county, township):
        return False
    note_place(county, township)
    return True


async def recipients_of(runtime: Runtime, case_ids: list[str]) -> list[Recipient]:
    """Every disclosure of these cases' data to a partner, oldest first; unknown or uncovered cases have
    none."""
    async with runtime.reading() as session:
        known = [await repo.known_case(session, c) for c in dict.fromkeys(case_ids)]
        held = {c.case_id: c for c in known if c is not None and _covered(c)}
        rows = await recipient_queries.disclosures_of(session, list(held)) if held else []
    out = []
    for row in rows:
        case = held[row.case_id]
        subtype = (case.decision or {}).get("subtype")
        relied_on = consents_relied_on(row.via, row.need_type, subtype)
        out.append(
            Recipient(
                case_id=row.case_id,
                partner_id=row.partner_id,
                partner_name=row.partner_name,
                partner_kind=row.partner_kind,
                via=row.via,
                data_classes=data_classes(row.via, row.need_type, subtype),
                shared_at=row.shared_at,
                consents=relied_on,
                consent_in_force=consent_in_force(relied_on, case.consents),
                status=row.status,
            )
        )
    return out
