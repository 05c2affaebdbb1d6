"""Event consumers (inbox-protected, one transaction each with their effects): each of the five services'
public events moves the household's view of the case on and queues the notice the household is owed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.household import repository as repo
from services.household.domain.model import Stage
from services.household.service import chinese_date, local_date, move_to, publish, queue_notice
from shared.contracts.approval import (
    CaseDecided,
    CaseRedecided,
    CaseReturned,
    CaseReviewed,
    Decision,
    PaperworkOverdue,
    Reexamined,
)
from shared.contracts.assessment import CaseAssessed
from shared.contracts.disbursement import PaymentGivenUp, PaymentResultRecorded
from shared.contracts.intake import ApplicationSubmitted
from shared.contracts.referral import ReferralAccepted, SchemeOutcomeRecorded, SchemeReferralCreated
from shared.events import Envelope
from shared.runtime import Runtime

NEED_LABELS = {
    "education": "教育",
    "medical": "医疗",
    "living": "生活",
    "housing_repair": "住房修缮",
    "goods": "生活物资",
    "care": "照料护理",
    "employment": "就业",
    "psychological": "心理疏导",
    "legal": "法律援助",
    "other": "其他",
}
"""The need's name in a notice; every NeedType has one (tests/unit/test_household_notices.py)."""
SCHEME_LABELS = {
    "medical_assistance": "医疗救助",
    "education_assistance": "教育救助",
    "dibao_tekun": "最低生活保障/特困人员救助供养",
    "disability_federation": "残疾人联合会",
    "employment": "就业援助",
    "housing": "住房救助",
    "legal_aid": "法律援助",
    "other": "相关救助帮扶部门",
}
"""The scheme's name in a notice (R-AID-1); an unknown scheme reads as the last."""


async def on_application_submitted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, app: ApplicationSubmitted
) -> None:
    """Accepted (受理): the first revision queues the acceptance notice; an amended one (documents supplied)
    goes back under review."""
    existing = await repo.get_case(session, app.case_id)
    values: dict[str, Any] = {
        "case_no": app.case_no,
        "applicant_index": app.applicant_index,
        "contact_sealed": app.contact_sealed,
        "county_code": app.county_code,
        "township_code": app.township_code,
        "category": app.category.value,
        "subtype": app.subtype.value,
        "submitted_at": app.submitted_at,
    }
    early = existing is None or existing.stage in (Stage.accepted, Stage.documents_missing)
    stage = Stage.accepted if app.revision == 1 else Stage.under_review
    if early:
        values.update(stage=stage.value, missing=[])
    case = await repo.merge_case(session, app.case_id, **values)
    await publish(runtime, session, case)
    # once per case: intake re-publishes revision 1 when a supervisor clears duplicate flags
    if app.revision == 1 and not await repo.has_notice(session, app.case_id, "accepted"):
        await queue_notice(session, case, "accepted", {})


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    """Assessed: the reasons and figures are kept for the decision notice (R-CAT-3, R-AMT-1)."""
    case = await repo.merge_case(
        session,
        ev.case_id,
        county_code=ev.county_code,
        township_code=ev.township_code,
        facts={
            "assessed": [r.model_dump(mode="json") for r in ev.reasons],
            "months": ev.months,
            "persons": ev.persons_helped,
            "standard": str(ev.monthly_standard),
            "assessed_amount": str(ev.amount),
        },
    )
    if case.stage in (Stage.accepted, Stage.documents_missing):
        await move_to(runtime, session, case, Stage.under_review)


async def on_case_returned(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReturned
) -> None:
    """Sent back for revision: the household is told what is missing."""
    case = await repo.merge_case(
        session, ev.case_id, county_code=ev.county_code, township_code=ev.township_code, missing=[ev.reasons]
    )
    case = await move_to(runtime, session, case, Stage.documents_missing, force=True)
    await queue_notice(session, case, "documents_missing", {"missing": ev.reasons})


async def on_case_reviewed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReviewed
) -> None:
    """The reviewer's written opinion (审核意见), cited by a refusal (R-FLOW-1)."""
    case = await repo.get_case(session, ev.case_id) or await repo.merge_case(session, ev.case_id)
    facts = {**case.facts, "review_opinion": ev.reasons if ev.opinion is Decision.rejected else None}
    await repo.merge_case(session, ev.case_id, facts=facts)


def _review_window(ev: CaseDecided) -> dict[str, Any]:
    """R-REX-1: the re-examination window the letter states is the one approval fixed with the decision and
    enforces (never a figure of the household's own)."""
    if ev.reexamination_window_days is None or ev.reexamination_closes_on is None:
        return {}
    return {
        "review_days": ev.reexamination_window_days,
        "review_until": chinese_date(ev.reexamination_closes_on),
    }


def _stages_text(ev: CaseDecided) -> str:
    if not ev.stages:
        return "无需另行发放"
    parts = [f"第{s.seq}期{s.amount}元（{s.due_on.month}月{s.due_on.day}日前）" for s in ev.stages]
    return "分" + str(len(ev.stages)) + "期发放：" + "，".join(parts)


async def on_case_decided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided
) -> None:
    """Approved (amount, months, stages) or refused (written reasons citing the rules and figures)."""
    case = await repo.merge_case(
        session,
        ev.case_id,
        county_code=ev.county_code,
        township_code=ev.township_code,
        decided_at=ev.decided_at,
    )
    facts = dict(case.facts)
    window = _review_window(ev)
    if ev.decision is Decision.approved:
        facts["stage_count"] = len(ev.stages)  # a later payment notice names its stage only if staged
        case = await repo.merge_case(session, ev.case_id, facts=facts)
        case = await move_to(runtime, session, case, Stage.approved)
        await queue_notice(
            session,
            case,
            "approved",
            {
                "amount": str(ev.amount),
                "months": facts.get("months", ""),
                "persons": facts.get("persons", ev.household_size),
                "standard": facts.get("standard", ""),
                "stages": _stages_text(ev),
                "level": ev.level,
                **window,
            },
        )
        return
    case = await move_to(runtime, session, case, Stage.refused)
    await queue_notice(
        session,
        case,
        "refused",
        {
            "assessed": facts.get("assessed", []),
            "review_opinion": facts.get("review_opinion"),
            **window,
        },
    )


async def on_paperwork_overdue(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PaperworkOverdue
) -> None:
    """R-FLOW-2: the help-first paperwork fell due; the household is asked to complete it."""
    case = await repo.merge_case(
        session, ev.case_id, county_code=ev.county_code, township_code=ev.township_code
    )
    if case.stage in (Stage.accepted, Stage.under_review):
        case = await move_to(runtime, session, case, Stage.help_first)
    deadline = f"{ev.deadline.year}年{ev.deadline.month}月{ev.deadline.day}日"
    await queue_notice(session, case, "paperwork_due", {"deadline": deadline})


async def on_payment_result(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PaymentResultRecorded
) -> None:
    """A payment made (bank transfer paid, or handed over): the household is told the amount."""
    if ev.result not in ("paid", "handed_over"):
        return
    case = await repo.get_case(session, ev.case_id) or await repo.merge_case(session, ev.case_id)
    case = await repo.merge_case(session, ev.case_id, paid_total=case.paid_total + ev.amount)
    if case.stage in (Stage.approved, Stage.help_first, Stage.under_review):
        case = await move_to(runtime, session, case, Stage.paid)
    await queue_notice(session, case, "paid", {"paid": str(ev.amount), "stage": ev.stage})


async def on_payment_given_up(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PaymentGivenUp
) -> None:
    """R-OVS-3: a payment the finance office gave up; the household is told it could not be completed and
    that the township office will contact them. Only the amount and the stage reach the notice: the
    officer's reason may carry personal data (an account, a name) and is never copied (R-OVS-3)."""
    case = await repo.get_case(session, ev.case_id) or await repo.merge_case(session, ev.case_id)
    staged = int(case.facts.get("stage_count") or 0) > 1
    stage_text = f"第{ev.stage}期" if staged else ""
    await queue_notice(
        session,
        case,
        "payment_given_up",
        {"amount": str(ev.amount), "stage": ev.stage, "stage_text": stage_text},
    )


async def on_referral_accepted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: ReferralAccepted
) -> None:
    """R-CHA-1: the consented needs were taken up by a charity."""
    case = await repo.merge_case(
        session, ev.case_id, county_code=ev.county_code, township_code=ev.township_code
    )
    if case.stage in (Stage.approved, Stage.paid, Stage.refused):
        case = await move_to(runtime, session, case, Stage.referred)
    await queue_notice(session, case, "referred", {"need": NEED_LABELS.get(ev.need_type.value, "")})


def _reexamination_result(ev: CaseRedecided) -> str:
    if ev.outcome is Reexamined.upheld:
        return ""
    if ev.difference > 0:
        return f"救助金额变更为{ev.amount_after}元，差额{ev.difference}元将另行发放。"
    return f"救助金额变更为{ev.amount_after}元，已发放的款项不予追回。"


def _decision_text(decision: Decision, amount: object) -> str:
    return f"给予临时救助，救助金额{amount}元" if decision is Decision.approved else "不予救助"


def _settlement(ev: CaseRedecided) -> str:
    """R-REX-3 in the letter: exactly the difference is paid, nothing already paid is clawed back."""
    if ev.outcome is Reexamined.upheld:
        return "原决定继续有效。"
    if ev.difference > 0:
        return (
            f"应补发差额{ev.difference}元（复核后{ev.amount_after}元－原决定{ev.amount_before}元，"
            "R-REX-3），已决定的款项不重复发放。"
        )
    return f"救助金额减少{-ev.difference}元，已发放的款项不予追回（R-REX-3）。"


async def on_case_redecided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseRedecided
) -> None:
    """R-REX-2: the outcome of a re-examination (复核), with its reasons; a refusal changed into an approval
    moves the case's public stage on."""
    case = await repo.merge_case(
        session, ev.case_id, county_code=ev.county_code, township_code=ev.township_code
    )
    if ev.decision_after is Decision.approved and case.stage is Stage.refused:
        case = await move_to(runtime, session, case, Stage.approved)
    reasons = ev.reasons.rstrip("。") + "。"
    outcome = "维持原决定" if ev.outcome is Reexamined.upheld else "变更原决定"
    await queue_notice(
        session,
        case,
        "reexamined",
        {
            "outcome": outcome,
            "result": _reexamination_result(ev),
            "reasons": reasons,
            "requested": chinese_date(local_date(ev.requested_at)),
            "before": _decision_text(ev.decision_before, ev.amount_before),
            "after": outcome
            if ev.outcome is Reexamined.upheld
            else _decision_text(ev.decision_after, ev.amount_after),
            "settlement": _settlement(ev),
            "amount_after": str(ev.amount_after),
            "difference": str(ev.difference),
        },
    )


def _scheme(scheme: str) -> str:
    return SCHEME_LABELS.get(scheme, SCHEME_LABELS["other"])


def scheme_result(ev: SchemeOutcomeRecorded) -> str:
    """The scheme's answer in the household's words: accepted, applied, granted with the amount, refused with
    the reason (R-AID-1)."""
    if ev.outcome == "granted":
        return f"已批准，金额{ev.amount}元"
    if ev.outcome == "refused":
        return f"未予批准，原因：{(ev.reason or '').rstrip('。')}"
    if ev.outcome == "applied":
        return "已为您提交申请，正在办理"
    return "已受理"


async def on_scheme_referral_created(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: SchemeReferralCreated
) -> None:
    """R-AID-1: the need was referred to a government scheme, to answer by ``due_on``."""
    case = await repo.merge_case(
        session, ev.case_id, county_code=ev.county_code, township_code=ev.township_code
    )
    due = f"{ev.due_on.year}年{ev.due_on.month}月{ev.due_on.day}日"
    need = NEED_LABELS.get(ev.need_type.value, "")
    await queue_notice(
        session, case, "scheme_referred", {"need": need, "scheme": _scheme(ev.scheme), "due": due}
    )


async def on_scheme_outcome(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: SchemeOutcomeRecorded
) -> None:
    """R-AID-1: the scheme's answer (accepted, applied, granted with the amount, refused with the reason)."""
    case = await repo.merge_case(
        session, ev.case_id, county_code=ev.county_code, township_code=ev.township_code
    )
    facts = {
        "need": NEED_LABELS.get(ev.need_type.value, ""),
        "scheme": _scheme(ev.scheme),
        "outcome": ev.outcome,
        "result": scheme_result(ev),
    }
    await queue_notice(session, case, "scheme_outcome", facts)
