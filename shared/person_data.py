"""A person's data, service by service (PIPL arts. 44-45): the request every service answers and the section
it answers with.

Intake (the single window) finds the person's cases by the blind index of their resident ID number and asks
each other service, over HTTP with the caller's own token, ``POST /<service>/v1/person-data`` with the ID
number and those case ids in the body (never in a URL, so never in an access log or the audit log). Each
service answers for its own records only, limited to the caller's jurisdiction; a case it does not know, or
one outside the jurisdiction, is simply absent (an unknown person gets an empty section, never a 404 or a
500). The audit middleware records each call (who, which route, where) without the body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared import idnumber
from shared.domain_errors import RecordNotFound
from shared.errors import NotFound

T = TypeVar("T")
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _valid_id(value: str) -> str:
    try:
        return idnumber.validate(value)
    except idnumber.InvalidIdNumber as exc:
        raise ValueError(str(exc)) from exc


ResidentIdNumber = Annotated[
    str, Field(min_length=18, max_length=18, examples=["14030219800101001X"]), AfterValidator(_valid_id)
]


class PersonIn(BaseModel):
    """Who the request is about: the resident ID number, in the body only (matched by blind index)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id_number: ResidentIdNumber


class PersonDataIn(PersonIn):
    """What intake asks each service: the person and the cases intake holds for them (applicant or member).
    A service that keeps its own blind index of the person (household) matches by it as well."""

    case_ids: Annotated[list[Annotated[str, Field(pattern=UUID_PATTERN)]], Field(max_length=500)] = []


Records = dict[str, list[dict[str, Any]]]


class PersonDataSection(BaseModel):
    """One service's records about the person, by kind (``payments``, ``decisions``...), each record with its
    ``case_id``. Bank accounts are masked; the person's own names, phone and address are in clear."""

    service: str
    records: Records
    """Kind → records; every kind the service keeps is present, empty when it holds none."""


class Recipient(BaseModel):
    """One disclosure of the person's data to a partner (PIPL art. 23, 45): who, what, when, on which
    consent (R-CHA-2)."""

    case_id: str
    partner_id: str
    partner_name: str
    partner_kind: str
    via: str
    """``needs_record`` (a charity was offered the minimised needs record) or ``scheme_referral``."""
    data_classes: list[str]
    """The classes of data the partner received, e.g. ``need_type``, ``remaining_amount``, ``health``."""
    shared_at: datetime
    consents: list[str]
    """The consents it was shared under (``share_with_charities``, ``share_health_data``)."""
    consent_in_force: bool
    """False once the person withdrew one of them (the partner was told to stop; R-CHA-2)."""
    status: str


class PersonExportOut(BaseModel):
    """Everything held about one person, assembled by intake from all six services."""

    generated_at: datetime
    id_number: str
    """Masked: the export names its subject without repeating the number in clear."""
    case_ids: list[str]
    sections: list[PersonDataSection]
    recipients: list[Recipient]


async def per_case(case_ids: Iterable[str], fetch: Callable[[str], Awaitable[T]]) -> list[tuple[str, T]]:
    """(case id, ``fetch(case id)``) for each case this service holds and the caller covers: an unknown case
    or one outside the caller's jurisdiction (both a 404 for the case routes) is left out, never an error."""
    found: list[tuple[str, T]] = []
    for case_id in dict.fromkeys(case_ids):
        try:
            found.append((case_id, await fetch(case_id)))
        except (RecordNotFound, NotFound):
            continue
    return found


def dumped(found: Iterable[tuple[str, BaseModel | list[Any]]]) -> list[dict[str, Any]]:
    """JSON-ready records of ``per_case``'s answer (one record or a list per case), each with its case id."""
    out = []
    for case_id, answer in found:
        for item in answer if isinstance(answer, list) else [answer]:
            record = item.model_dump(mode="json")
            record.setdefault("case_id", case_id)
            out.append(record)
    return out
