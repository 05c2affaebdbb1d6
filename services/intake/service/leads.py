"""Proactive discovery and fast response (主动发现, 快速响应; R-OVS-2): leads from other systems become visit
tasks of their township with a response-time target, then an application pre-filled from the lead (the
single window's own application creation, in the same transaction) or a closing with a reason. Each use case
is one transaction."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import service as applications
from services.intake.domain import discovery
from services.intake.domain.errors import (
    InvalidApplication,
    LeadAlreadyEnded,
    LeadApplicationElsewhere,
    LeadHadSceneHelp,
    LeadNotFound,
    UnknownTownship,
)
from services.intake.domain.model import Application, Channel, Lead, LeadSource, LeadStatus, LeadUrgency
from services.intake.repository import lead_queries as lq
from services.intake.schemas import ApplicationIn, LeadApplicationIn, LeadIn, LeadOut
from services.intake.settings import IntakeSettings
from shared import clock, idnumber
from shared.access import guard
from shared.contracts.approval import HelpFirstGranted, PaperworkOverdue
from shared.contracts.common import SUBTYPES_BY_CATEGORY, Category, Subtype
from shared.contracts.intake import LeadClosed, LeadOpened, LeadOverdue
from shared.contracts.monitoring import LeadReported
from shared.reference import township_county
from shared.runtime import Runtime

log = logging.getLogger("assistance.intake.leads")

LEAD_PERSONAL = "intake.lead.personal"
"""Associated data of a lead's sealed ``personal`` column (name, ID number, phone, address, report)."""


def county_of(township_code: str) -> str:
    """The county of a township of the city; an unknown one is refused naming ``township_code``."""
    county = township_county(township_code)
    if county is None:
        raise UnknownTownship(
            "township_code", f"{township_code} is not a township of the city: no office would visit (R-OVS-2)"
        )
    return county


def _kind(category: Category | None, subtype: Subtype | None) -> tuple[str | None, str | None]:
    """The lead's category hint: a sub-type implies its category; a mismatch names ``subtype``."""
    if subtype is not None:
        owner = next(c for c, subs in SUBTYPES_BY_CATEGORY.items() if subtype in subs)
        if category is not None and category is not owner:
            raise InvalidApplication("subtype", f"{subtype.value} is a sub-type of {owner.value}")
        category = owner
    return (category.value if category else None), (subtype.value if subtype else None)


async def record_lead(
    runtime: Runtime,
    session: AsyncSession,
    *,
    source: LeadSource,
    reported_by: str,
    source_ref: str | None,
    township_code: str,
    urgency: LeadUrgency,
    kind: tuple[str | None, str | None],
    personal: dict[str, Any],
) -> tuple[Lead, bool]:
    """A visit task of the township, due after the county's response target in force today; the same
    reporter's ``source_ref`` again is the same lead (returns it, created False)."""
    county = county_of(township_code)
    now = clock.now()
    target = discovery.target_in_force(county, clock.local_date(now))
    hours = target.hours(urgency)
    id_number = personal.get("id_number")
    row = {
        "id": str(uuid.uuid4()),
        "case_id": str(uuid.uuid4()),  # reserved for its application: help at the scene binds to it
        "source": source.value,
        "reported_by": reported_by[:100],
        "source_ref": source_ref,
        "county_code": county,
        "township_code": township_code,
        "urgency": urgency.value,
        "category": kind[0],
        "subtype": kind[1],
        "personal": runtime.cipher.encrypt(json.dumps(personal, ensure_ascii=False), context=LEAD_PERSONAL),
        "person_bidx": runtime.cipher.blind_index(id_number, purpose="id_number") if id_number else None,
        "status": LeadStatus.open.value,
        "target_version": target.version,
        "response_hours": hours,
        "received_at": now,
        "due_at": discovery.due_at(now, hours),
        "assigned_at": now,  # a visit task of the township from receipt; a named officer may follow
        "created_at": now,
        "updated_at": now,
    }
    inserted = await lq.add(session, row)
    if inserted is not None:
        await runtime.outbox.add(session, opened_event(inserted), subject=inserted.case_id)
        return inserted, True
    existing = await lq.by_source_ref(session, reported_by[:100], source_ref or "")
    if existing is None:
        raise RuntimeError("the lead that blocked the insert is missing")
    return existing, False


def opened_event(lead: Lead) -> LeadOpened:
    """What approval learns of a lead (R-OVS-2 with R-FLOW-2): codes, ids and times, no personal data."""
    if lead.case_id is None:
        raise RuntimeError("a lead recorded now has its case id reserved")
    return LeadOpened(
        lead_id=lead.id,
        case_id=lead.case_id,
        county_code=lead.county_code,
        township_code=lead.township_code,
        source=lead.source.value,
        urgency=lead.urgency.value,
        category=Category(lead.category) if lead.category else None,
        subtype=Subtype(lead.subtype) if lead.subtype else None,
        received_at=lead.received_at,
    )


async def report(runtime: Runtime, body: LeadIn, *, reported_by: str) -> tuple[Lead, bool]:
    """A lead by REST: from a government system (its token's subject) or a township officer."""
    kind = _kind(body.category, body.subtype)
    personal = {
        "name": body.name,
        "id_number": body.id_number,
        "phone": body.phone,
        "address": body.address,
        "description": body.description,
    }
    async with runtime.transaction() as session:
        return await record_lead(
            runtime,
            session,
            source=body.source,
            reported_by=reported_by,
            source_ref=body.source_ref,
            township_code=body.township_code,
            urgency=body.urgency,
            kind=kind,
            personal=personal,
        )


async def from_event(runtime: Runtime, session: AsyncSession, source: str, ev: LeadReported) -> None:
    """A lead from the monitoring topic (inbox-protected: once per event id, once per ``lead_ref``)."""
    id_number = ev.id_number
    if id_number is not None:
        try:
            idnumber.validate(id_number)
        except idnumber.InvalidIdNumber as exc:
            raise InvalidApplication("id_number", "not a valid resident ID number (GB 11643)") from exc
    await record_lead(
        runtime,
        session,
        source=LeadSource(ev.source.value),
        reported_by=source,
        source_ref=ev.lead_ref,
        township_code=ev.township_code,
        urgency=LeadUrgency(ev.urgency.value),
        kind=_kind(ev.category, ev.subtype),
        personal={
            "name": ev.name,
            "id_number": id_number,
            "phone": ev.phone,
            "address": ev.address,
            "description": ev.description,
        },
    )


async def _open_lead(session: AsyncSession, lead_id: str) -> Lead:
    lead = await lq.get(session, lead_id, for_update=True)
    if lead is None:
        raise LeadNotFound(lead_id)
    guard(lead.county_code, lead.township_code, "lead")
    return lead


def _end_refusal(lead: Lead) -> None:
    refusal = discovery.refusal_to_end(lead)
    if refusal is not None:
        raise LeadAlreadyEnded(
            f"{refusal} (R-OVS-2)", lead_status=lead.status.value, application_id=lead.application_id
        )


async def _reread(session: AsyncSession, lead_id: str) -> Lead:
    lead = await lq.get(session, lead_id)
    if lead is None:
        raise RuntimeError("the lead just written is missing from its own transaction")
    return lead


async def assign(runtime: Runtime, lead_id: str, assigned_to: str) -> Lead:
    async with runtime.transaction() as session:
        lead = await _open_lead(session, lead_id)
        _end_refusal(lead)
        await lq.change(session, lead_id, assigned_to=assigned_to, assigned_at=clock.now())
        return await _reread(session, lead_id)


async def contact(runtime: Runtime, lead_id: str, *, by: str, note: str | None) -> Lead:
    """First contact made: the response time is measured to it (a second one changes nothing)."""
    async with runtime.transaction() as session:
        lead = await _open_lead(session, lead_id)
        _end_refusal(lead)
        if lead.first_contact_at is None:
            await lq.change(
                session,
                lead_id,
                status=LeadStatus.contacted.value,
                first_contact_at=clock.now(),
                contacted_by=by,
                contact_note=note,
            )
        return await _reread(session, lead_id)


async def close(runtime: Runtime, lead_id: str, *, by: str, reason: str) -> Lead:
    """Closed with a reason; a lead already converted (or closed) is refused with 409, and so is one that
    had help at the scene (its application must follow, R-FLOW-2)."""
    async with runtime.transaction() as session:
        lead = await _open_lead(session, lead_id)
        _end_refusal(lead)
        if lead.scene_help_granted_at is not None:
            raise LeadHadSceneHelp(
                f"lead {lead_id} had help at the scene ({lead.scene_help_amount}): its application must "
                f"follow by {lead.paperwork_deadline} (R-FLOW-2)",
                case_id=lead.case_id,
            )
        now = clock.now()
        await lq.change(
            session,
            lead_id,
            status=LeadStatus.closed.value,
            closed_at=now,
            closed_by=by,
            close_reason=reason,
        )
        if lead.case_id is not None:  # approval stops help at the scene on it (codes only, no reason)
            closed = LeadClosed(
                lead_id=lead_id,
                case_id=lead.case_id,
                county_code=lead.county_code,
                township_code=lead.township_code,
                closed_at=now,
            )
            await runtime.outbox.add(session, closed, subject=lead.case_id)
        return await _reread(session, lead_id)


def prefilled(runtime: Runtime, lead: Lead, body: LeadApplicationIn) -> ApplicationIn:
    """The application as the lead pre-fills it and the visit completes it (422 naming what is missing)."""
    personal = json.loads(runtime.cipher.decrypt(lead.personal, context=LEAD_PERSONAL))
    given = body.model_dump(mode="json", exclude_none=True)
    if body.household is None:
        if not (personal.get("name") and personal.get("id_number")):
            raise InvalidApplication(
                "household", "the lead names nobody with an ID number: give the household"
            )
        given["household"] = [
            {"name": personal["name"], "id_number": personal["id_number"], "relation": "self"}
        ]
    if body.address is None:
        if not personal.get("address"):
            raise InvalidApplication("address", "the lead gives no address: give the address")
        given["address"] = {
            "county_code": lead.county_code,
            "township_code": lead.township_code,
            "detail": personal["address"],
        }
    given.setdefault("phone", personal.get("phone"))
    given.setdefault("category", lead.category)
    given.setdefault("subtype", lead.subtype)
    given["incident"].setdefault("description", personal["description"])
    outside = lead.source is not LeadSource.township_officer
    given["channel"] = (Channel.gov_system if outside else Channel.walk_in).value
    given["referring_system"] = lead.reported_by if outside else None
    try:
        return ApplicationIn.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        raise InvalidApplication(".".join(str(p) for p in first["loc"]), first["msg"]) from None


async def convert(
    runtime: Runtime, lead_id: str, body: LeadApplicationIn, *, by: str
) -> tuple[Lead, Application]:
    """The lead becomes an application (intake's own creation, R-FLOW-5 screening included) and links to
    the case, in one transaction: a refused application leaves the lead as it was. The application takes
    the case id reserved for the lead, so help granted at the scene (先行救助, R-FLOW-2) is this case's and
    its decision completes that paperwork; an emergency case reaches approval like any other."""
    async with runtime.transaction() as session:
        lead = await _open_lead(session, lead_id)
        _end_refusal(lead)
        data = prefilled(runtime, lead, body)
        if data.address.township_code != lead.township_code:
            raise LeadApplicationElsewhere(
                "address.township_code",
                f"the lead is for township {lead.township_code}: a household found elsewhere gets a lead "
                "there",
            )
        application, _ = await applications.record_application(
            runtime, session, data, idempotency_key=None, case_id=lead.case_id
        )
        now = clock.now()
        first_contact = {} if lead.first_contact_at else {"first_contact_at": now, "contacted_by": by}
        await lq.change(
            session,
            lead_id,
            status=LeadStatus.converted.value,
            application_id=application.id,
            converted_at=now,
            **first_contact,
        )
        return await _reread(session, lead_id), application


def _masked_phone(phone: str | None) -> str | None:
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else None


def to_out(runtime: Runtime, lead: Lead, now: datetime) -> LeadOut:
    """Masked view (张*明, 140302********1234, 138****0000), with the overdue flag at ``now``."""
    personal = json.loads(runtime.cipher.decrypt(lead.personal, context=LEAD_PERSONAL))
    return LeadOut(
        id=lead.id,
        source=lead.source,
        reported_by=lead.reported_by,
        source_ref=lead.source_ref,
        county_code=lead.county_code,
        township_code=lead.township_code,
        urgency=lead.urgency,
        category=Category(lead.category) if lead.category else None,
        subtype=Subtype(lead.subtype) if lead.subtype else None,
        name=idnumber.mask_name(personal["name"]) if personal.get("name") else None,
        id_number=idnumber.mask(personal["id_number"]) if personal.get("id_number") else None,
        phone=_masked_phone(personal.get("phone")),
        status=lead.status,
        target_version=lead.target_version,
        response_hours=lead.response_hours,
        received_at=lead.received_at,
        due_at=lead.due_at,
        overdue=discovery.is_overdue(lead, now),
        assigned_to=lead.assigned_to,
        assigned_at=lead.assigned_at,
        first_contact_at=lead.first_contact_at,
        contacted_by=lead.contacted_by,
        closed_at=lead.closed_at,
        closed_by=lead.closed_by,
        close_reason=lead.close_reason,
        application_id=lead.application_id,
        converted_at=lead.converted_at,
        case_id=lead.case_id,
        scene_help_amount=str(lead.scene_help_amount) if lead.scene_help_amount is not None else None,
        scene_help_granted_at=lead.scene_help_granted_at,
        paperwork_deadline=lead.paperwork_deadline,
        paperwork_overdue=lead.paperwork_overdue_at is not None,
        reopened_at=lead.reopened_at,
    )


async def follow_scene_help(session: AsyncSession, ev: HelpFirstGranted) -> None:
    """Help granted at the scene on a lead (R-FLOW-2): shown on the lead, with its paperwork deadline."""
    if ev.lead_id is None:
        return  # help first on a case: the case's own business
    lead = await lq.get(session, ev.lead_id, for_update=True)
    if lead is None:
        return
    reopened: dict[str, object] = {}
    if lead.status == LeadStatus.closed:
        # the grant crossed the closing (approval had not yet learned of it): the help was given, so its
        # application must follow; the lead is open again and shows why ("nothing silent")
        log.warning("a closed lead had help at the scene: reopened", extra={"lead_id": lead.id})
        reopened = {
            "status": (LeadStatus.contacted if lead.first_contact_at else LeadStatus.open).value,
            "reopened_at": clock.now(),
        }
    await lq.change(
        session,
        ev.lead_id,
        scene_help_grant_id=ev.grant_id,
        scene_help_amount=ev.amount,
        scene_help_granted_at=ev.granted_at,
        paperwork_deadline=ev.paperwork_deadline,
        **reopened,
    )


async def follow_paperwork_overdue(session: AsyncSession, ev: PaperworkOverdue) -> None:
    """The scene help's paperwork is overdue with its application missing: shown on the lead (nothing
    silent, R-FLOW-2)."""
    if ev.lead_id is None or not ev.application_missing:
        return
    await lq.change(session, ev.lead_id, paperwork_overdue_at=ev.detected_at)


async def announce_overdue(runtime: Runtime, *, batch: int = 500) -> int:
    """Publish LeadOverdue once per lead past its target without first contact ("nothing silent"), marked in
    the same transaction as its outbox event."""
    async with runtime.transaction() as session:
        now = clock.now()
        found = await lq.overdue_unannounced(session, now, batch)
        for lead in found:
            await lq.change(session, lead.id, overdue_notified_at=now)
            await runtime.outbox.add(
                session,
                LeadOverdue(
                    lead_id=lead.id,
                    county_code=lead.county_code,
                    township_code=lead.township_code,
                    source=lead.source.value,
                    urgency=lead.urgency.value,
                    received_at=lead.received_at,
                    due_at=lead.due_at,
                    detected_at=now,
                ),
                subject=lead.id,
            )
    return len(found)


async def overdue_watch(runtime: Runtime) -> None:
    """Background task (ServiceModule.background): look for overdue leads every few minutes."""
    settings: IntakeSettings = runtime.settings  # type: ignore[assignment]
    while True:
        try:
            found = await announce_overdue(runtime)
            if found:
                log.info("overdue leads announced", extra={"count": found})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep watching after a database hiccup
            log.warning("overdue lead check failed", extra={"error": repr(exc)[:300]})
        await asyncio.sleep(settings.lead_overdue_check_seconds)
