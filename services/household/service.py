"""The household service's use cases: the public-safe status view and its pushes, notices (queued here and
sent by ``notifier``), status queries by verifier, subscribers and opt-out. One transaction each."""

from __future__ import annotations

import asyncio
import functools
import hmac
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.household import repository as repo
from services.household.adapters.letter import render_letter
from services.household.adapters.webhooks import SECRET_CONTEXT
from services.household.domain import templates as tpl
from services.household.domain.errors import (
    UNKNOWN_CASE,
    CaseNotFound,
    NoticeNotFound,
    ReceiverRefused,
    TooManyFailedQueries,
)
from services.household.domain.model import Case, DeliveryStatus, Notice, NoticeStatus, Stage, Subscriber
from services.household.domain.reasons import refusal_reasons
from services.household.domain.status import label, next_step
from services.household.settings import HouseholdSettings, settings_of
from shared import clock
from shared.access import caller, covers, guard, note_place
from shared.contracts.household import CaseStatusChanged
from shared.contracts.intake import CONTACT_SEAL_CONTEXT
from shared.runtime import Runtime
from shared.webhooks import new_secret, url_problem

STATUS_TOPIC = "household.status"
"""``<prefix>.household.status.v1``: the public-safe status pushes for government systems."""
NO_LETTER = "this notice has no decision letter"


@functools.cache
def templates() -> tpl.TemplateSet:
    return tpl.load()


def local_date(at: datetime | None = None) -> date:
    return clock.local_date(at or clock.now())


def chinese_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


# --- the public-safe view and its pushes --------------------------------------------------------------------


def public_view(case: Case) -> dict[str, Any]:
    """What a government system may show the household: no name, no ID number, no phone, no address."""
    office = templates().office(case.county_code, case.township_code)
    stage = case.stage
    return {
        "case_no": case.case_no,
        "stage": stage.value,
        "stage_label": label(stage),
        "submitted_on": local_date(case.submitted_at) if case.submitted_at else None,
        "decided_on": local_date(case.decided_at) if case.decided_at else None,
        "updated_at": case.updated_at,
        "missing": list(case.missing),
        "next_step": next_step(stage),
        "office": office.name,
        "office_phone": office.phone,
    }


async def move_to(
    runtime: Runtime, session: AsyncSession, case: Case, stage: Stage, *, force: bool = False
) -> Case:
    """Set the case's public stage; a change is pushed on the status topic and to every subscriber."""
    if case.stage is stage and not force:
        return case
    case = await repo.merge_case(session, case.case_id, stage=stage.value)
    if case.case_no and case.county_code:  # else: pushed when intake's event arrives
        await publish(runtime, session, case)
    return case


async def publish(runtime: Runtime, session: AsyncSession, case: Case) -> None:
    view = public_view(case)
    payload = CaseStatusChanged(
        case_id=case.case_id,
        county_code=case.county_code,
        township_code=case.township_code,
        changed_at=clock.now(),
        **{k: v for k, v in view.items() if k != "updated_at"},
    )
    envelope = await runtime.outbox.add(
        session, payload, subject=case.case_id, topic=runtime.topic(STATUS_TOPIC)
    )
    body = envelope.model_dump(mode="json", exclude_none=True)
    for sub in await repo.subscribers_for(session, case.county_code):
        await repo.add_delivery(
            session,
            {
                "subscriber_id": sub.id,
                "event_id": envelope.id,
                "envelope": body,
                "status": DeliveryStatus.pending.value,
                "next_attempt_at": clock.now(),
            },
        )


# --- notices ----------------------------------------------------------------------------------------------


async def queue_notice(session: AsyncSession, case: Case, kind: str, facts: dict[str, Any]) -> None:
    """A notice to the household, sent by the notifier (which checks phone and opt-out when it sends)."""
    now = clock.now()
    await repo.add_notice(
        session,
        {
            "id": str(uuid.uuid4()),
            "case_id": case.case_id,
            "kind": kind,
            "county_code": case.county_code,
            "township_code": case.township_code,
            "facts": facts,
            "local_date": local_date(now),
            "has_letter": kind in tpl.LETTER_KINDS,
            "status": NoticeStatus.queued.value,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def notice_facts(settings: HouseholdSettings, case: Case, notice: Notice) -> dict[str, Any]:
    """Everything a template may use: the case's (number, office, dates) and the notice's own facts."""
    ts = templates()
    office = ts.office(case.county_code, case.township_code)
    facts: dict[str, Any] = {
        "sign": settings.sms_sign_name,
        "case_no": case.case_no or "",
        "date": chinese_date(notice.local_date),
        "submitted": chinese_date(local_date(case.submitted_at)) if case.submitted_at else "",
        "office": office.name,
        "office_phone": office.phone,
        "office_address": office.address,
        "missing": "；".join(case.missing),
    }
    facts.update(notice.facts)
    if notice.kind == "refused":
        lines = refusal_reasons(notice.facts.get("assessed", []), notice.facts.get("review_opinion"))
        facts["reasons"] = "".join(line.split("．", 1)[1].rstrip("。") + "。" for line in lines)
        facts["reasons_lines"] = "\n".join(lines)
    return facts


def render_sms(settings: HouseholdSettings, case: Case, notice: Notice) -> tuple[str, str]:
    """(text, template version) of the notice's SMS."""
    template = templates().template(notice.kind, case.county_code, notice.local_date)
    return tpl.render(template.sms, notice_facts(settings, case, notice)), template.version


def render_notice_letter(settings: HouseholdSettings, case: Case, notice: Notice) -> bytes:
    template = templates().template(notice.kind, case.county_code, notice.local_date)
    if template.letter_title is None:
        raise NoticeNotFound(NO_LETTER)
    facts = notice_facts(settings, case, notice)
    paragraphs = [p for text in template.letter_body for p in tpl.render(text, facts).split("\n")]
    reference = f"受理号 {case.case_no} · 模板 {template.version}"
    return render_letter(template.letter_title, paragraphs, reference=reference)


async def case_notices(runtime: Runtime, case_id: str) -> list[Notice]:
    async with runtime.reading() as session:
        case = await repo.get_case(session, case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} not found")
        guard(case.county_code, case.township_code)
        return await repo.notices_for(session, case_id)


async def notice_letter(runtime: Runtime, notice_id: str) -> bytes:
    async with runtime.reading() as session:
        notice = await repo.get_notice(session, notice_id)
        if notice is None:
            raise NoticeNotFound(f"notice {notice_id} not found")
        guard(notice.county_code, notice.township_code, "notice")
        case = await repo.get_case(session, notice.case_id)
    if case is None or not notice.has_letter:
        raise NoticeNotFound(NO_LETTER)
    return await asyncio.to_thread(render_notice_letter, settings_of(runtime), case, notice)


async def set_opt_out(runtime: Runtime, case_id: str, opt_out: bool) -> Case:
    async with runtime.transaction() as session:
        case = await repo.get_case(session, case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} not found")
        guard(case.county_code, case.township_code)
        await repo.set_opt_out(session, case_id, opt_out)
        updated = await repo.get_case(session, case_id)
    if updated is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return updated


# --- subscribers (government systems receiving status pushes) ----------------------------------------------


def receiver_problem(settings: HouseholdSettings, url: str) -> str | None:
    """Why a subscriber's URL may not be called, or None (SSRF): only https to a public host; a loopback
    receiver only with the explicit development/test setting, never in production."""
    return url_problem(
        url,
        allow_loopback_http=settings.loopback_receivers_allowed,
        refused_hosts=settings.webhook_refused_hosts,
    )


async def add_subscriber(
    runtime: Runtime, name: str, url: str, county_code: str | None
) -> tuple[Subscriber, str]:
    """The new subscriber and its signing secret in clear (shown once; stored encrypted)."""
    problem = receiver_problem(settings_of(runtime), url)
    if problem:
        raise ReceiverRefused("url", problem)
    secret = new_secret()
    subscriber = Subscriber(
        id=str(uuid.uuid4()),
        name=name,
        url=url,
        secret=runtime.cipher.encrypt(secret, context=SECRET_CONTEXT),
        county_code=county_code,
        active=True,
        created_at=clock.now(),
    )
    async with runtime.transaction() as session:
        await repo.add_subscriber(session, subscriber)
    return subscriber, secret


async def list_subscribers(runtime: Runtime) -> list[Subscriber]:
    async with runtime.reading() as session:
        return await repo.list_subscribers(session)


# --- status queries from government systems ----------------------------------------------------------------


async def query_status(runtime: Runtime, source: str, case_no: str, id_number: str) -> dict[str, Any]:
    """The public view of a case whose applicant's blind index matches the verifier; otherwise the same 404
    as an unknown case, counted against the source (rate limit). The verifier is never stored or logged."""
    s = settings_of(runtime)
    now = clock.now()
    async with runtime.reading() as session:
        seen = await repo.failures(session, source)
        if seen is not None and seen.failures >= s.status_failures_allowed:
            wait = s.status_failure_window_seconds - (now - seen.window_started_at).total_seconds()
            if wait > 0:
                raise TooManyFailedQueries(retry_after=int(wait) + 1)
        case = await repo.case_by_number(session, case_no)
    index = runtime.cipher.blind_index(id_number, purpose="id_number")
    if case is None or not hmac.compare_digest(case.applicant_index or "", index):
        async with runtime.transaction() as session:
            await repo.count_failure(session, source, now, s.status_failure_window_seconds)
        raise CaseNotFound(UNKNOWN_CASE)
    return public_view(case)


# --- a person's data (PIPL art. 45) ---


async def person_cases(
    runtime: Runtime, id_number: str, case_ids: list[str]
) -> list[tuple[Case, list[Notice]]]:
    """The cases intake named and those whose applicant matches the person's blind index, each with its
    notices; unknown cases and those outside the caller's jurisdiction are left out."""
    index = runtime.cipher.blind_index(id_number, purpose="id_number")
    principal = caller()
    async with runtime.reading() as session:
        named = [await repo.get_case(session, c) for c in dict.fromkeys(case_ids)]
        found = {c.case_id: c for c in [*named, *await repo.cases_of_applicant(session, index)] if c}
        held = []
        for case in found.values():
            if principal is not None and not covers(principal, case.county_code, case.township_code):
                continue
            note_place(case.county_code, case.township_code)
            held.append((case, await repo.notices_for(session, case.case_id)))
    return held


def phone_on_file(runtime: Runtime, case: Case) -> str | None:
    """The phone the notices go to, decrypted for the person's own export only."""
    if case.contact_sealed is None:
        return None
    return runtime.cipher.decrypt(case.contact_sealed, context=CONTACT_SEAL_CONTEXT)
