"""Intake's use cases; each runs in one transaction (state and outbox event commit together)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import RowMapping

from services.intake import repository as repo
from services.intake.domain.rules import check_application
from services.intake.schemas import ApplicationIn, ApplicationOut, ConsentName, MemberOut
from shared import idnumber
from shared.contracts.intake import ApplicationSubmitted, ConsentWithdrawn, MemberFacts, Payee
from shared.errors import Conflict, InvalidField, NotFound
from shared.logging import log_context
from shared.reference import jurisdictions, township_county
from shared.runtime import Runtime

PERSONAL = "intake.application.personal"


def _age(id_number: str, on: date) -> int:
    born = idnumber.birth_date(id_number)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def validate_rules(data: ApplicationIn) -> None:
    """Raise a 422 naming the field for the first rule the application breaks."""
    counties = {c["code"] for c in jurisdictions()["counties"]}
    medical = None
    if data.medical is not None:
        m = data.medical
        medical = (m.total_bills, [m.basic_insurance, m.critical_illness_insurance, m.commercial_insurance,
                                   m.medical_assistance])
    error = check_application(
        county_code=data.address.county_code, township_code=data.address.township_code,
        county_of_township=township_county, known_counties=counties, category=data.category,
        subtype=data.subtype, member_ids=[m.id_number for m in data.household],
        relations=[m.relation for m in data.household], persons_helped=data.persons_helped,
        medical_bills_and_deductions=medical, has_education=data.education is not None,
    )
    if error:
        raise InvalidField(error.field, error.message)
    if data.incident.occurred_on > date.today():
        raise InvalidField("incident.occurred_on", "the incident date is in the future")


def _request_hash(data: ApplicationIn) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


async def submit_application(runtime: Runtime, data: ApplicationIn, *,
                             idempotency_key: str | None) -> tuple[RowMapping, bool]:
    """Record an application and publish ApplicationSubmitted. Returns (row, created)."""
    validate_rules(data)
    request_hash = _request_hash(data)
    cipher = runtime.cipher
    async with runtime.transaction() as session:
        if idempotency_key:
            existing = await repo.by_idempotency_key(session, idempotency_key)
            if existing is not None:
                if existing["request_hash"] != request_hash:
                    raise Conflict("this Idempotency-Key was used with a different request body",
                                   slug="idempotency-key-reused")
                return existing, False
        application_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        case_no = await repo.next_case_no(session, data.address.county_code, now.year)
        applicant = next(m for m in data.household if m.relation == "self")
        personal = {
            "household": [{"name": m.name, "id_number": m.id_number} for m in data.household],
            "phone": data.phone, "address": data.address.detail, "incident": data.incident.description,
            "payee": data.payee.model_dump() if data.payee else None,
        }
        facts = {
            "incident_ongoing": data.incident.ongoing, "requested_months": data.requested_months,
            "annual_household_income": str(data.annual_household_income),
            "property": data.property.model_dump(mode="json"),
            "medical": data.medical.model_dump(mode="json") if data.medical else None,
            "education": data.education.model_dump(mode="json") if data.education else None,
            "household": [{"relation": m.relation, "age": _age(m.id_number, now.date()), "dibao": m.dibao,
                           "tekun": m.tekun, "jiandang": m.jiandang} for m in data.household],
        }
        row = {
            "id": application_id, "case_no": case_no, "revision": 1, "status": "submitted",
            "channel": data.channel.value, "referring_system": data.referring_system,
            "idempotency_key": idempotency_key, "request_hash": request_hash,
            "county_code": data.address.county_code, "township_code": data.address.township_code,
            "category": data.category.value, "subtype": data.subtype.value,
            "incident_date": data.incident.occurred_on, "household_size": len(data.household),
            "persons_helped": data.persons_helped, "facts": facts,
            "consents": data.consents.model_dump(),
            "personal": cipher.encrypt(json.dumps(personal, ensure_ascii=False), context=PERSONAL),
            "applicant_bidx": cipher.blind_index(applicant.id_number, purpose="id_number"),
            "created_at": now, "updated_at": now,
        }
        member_rows = [{"application_id": application_id, "seq": i, "relation": m.relation,
                        "id_bidx": cipher.blind_index(m.id_number, purpose="id_number"), "dibao": m.dibao,
                        "tekun": m.tekun, "jiandang": m.jiandang} for i, m in enumerate(data.household)]
        await repo.insert(session, row, member_rows)
        with log_context(case_id=application_id):
            await runtime.outbox.add(session, _submitted_event(row, facts, data), subject=application_id)
        stored = await repo.get(session, application_id)
    assert stored is not None
    return stored, True


def _submitted_event(row: dict[str, Any], facts: dict[str, Any], data: ApplicationIn) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        case_id=row["id"], case_no=row["case_no"], revision=row["revision"], channel=row["channel"],
        referring_system=row["referring_system"], county_code=row["county_code"],
        township_code=row["township_code"], category=data.category, subtype=data.subtype,
        incident_date=data.incident.occurred_on, incident_ongoing=data.incident.ongoing,
        household=[MemberFacts(**m) for m in facts["household"]], persons_helped=data.persons_helped,
        requested_months=data.requested_months, annual_household_income=data.annual_household_income,
        property=data.property, medical=data.medical, education=data.education, consents=data.consents,
        payee=Payee(**data.payee.model_dump()) if data.payee else None, submitted_at=row["created_at"],
    )


async def withdraw_consent(runtime: Runtime, application_id: str, consent: ConsentName) -> RowMapping:
    """A withdrawal is recorded and published; referral stops sharing (R-CHA-2)."""
    async with runtime.transaction() as session:
        row = await repo.get(session, application_id, for_update=True)
        if row is None:
            raise NotFound(f"application {application_id} not found")
        consents = dict(row["consents"])
        if consents.get(consent.value):
            consents[consent.value] = False
            if consent is ConsentName.share_with_charities:
                consents[ConsentName.share_health_data.value] = False
            await repo.set_consents(session, application_id, consents, consent.value)
            await runtime.outbox.add(session, ConsentWithdrawn(case_id=application_id, consent=consent.value,
                                                               withdrawn_at=datetime.now(UTC)),
                                     subject=application_id)
        updated = await repo.get(session, application_id)
    assert updated is not None
    return updated


def to_out(runtime: Runtime, row: RowMapping) -> ApplicationOut:
    """Masked view: names as 张*明, ID numbers as 140302********1234."""
    personal = json.loads(runtime.cipher.decrypt(row["personal"], context=PERSONAL))
    flags = row["facts"]["household"]
    household = [
        MemberOut(name=idnumber.mask_name(p["name"]), id_number=idnumber.mask(p["id_number"]),
                  relation=f["relation"], dibao=f["dibao"], tekun=f["tekun"], jiandang=f["jiandang"])
        for p, f in zip(personal["household"], flags, strict=True)
    ]
    return ApplicationOut(
        id=row["id"], case_no=row["case_no"], status=row["status"], revision=row["revision"],
        channel=row["channel"], referring_system=row["referring_system"], county_code=row["county_code"],
        township_code=row["township_code"], category=row["category"], subtype=row["subtype"],
        household=household, persons_helped=row["persons_helped"], consents=row["consents"],
        submitted_at=row["created_at"], updated_at=row["updated_at"],
    )
