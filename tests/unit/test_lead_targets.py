"""R-OVS-2 fast response: the response-time target is an effective-dated county setting (a county's own
version wins over the city-wide default from its effective date), and a lead is overdue only while open,
past its target, without first contact."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from services.intake.domain import discovery
from services.intake.domain.discovery import ResponseTarget
from services.intake.domain.model import Lead, LeadSource, LeadStatus, LeadUrgency

TABLE = (
    ResponseTarget(
        version="city-1",
        county_code="*",
        effective_from=date(2026, 1, 1),
        emergency_hours=24,
        normal_hours=72,
    ),
    ResponseTarget(
        version="city-2",
        county_code="*",
        effective_from=date(2026, 7, 1),
        emergency_hours=12,
        normal_hours=48,
    ),
    ResponseTarget(
        version="pingding-1",
        county_code="140321",
        effective_from=date(2026, 3, 1),
        emergency_hours=6,
        normal_hours=24,
    ),
)


def test_the_seeded_default_is_24_hours_for_emergencies_and_72_otherwise() -> None:
    target = discovery.target_in_force("140302", date(2026, 12, 2))
    assert (target.hours(LeadUrgency.emergency), target.hours(LeadUrgency.normal)) == (24, 72)


def test_a_countys_own_version_wins_from_its_effective_date_and_the_default_changes_by_date() -> None:
    assert discovery.target_in_force("140321", date(2026, 2, 28), TABLE).version == "city-1"
    assert discovery.target_in_force("140321", date(2026, 3, 1), TABLE).version == "pingding-1"
    assert discovery.target_in_force("140321", date(2026, 8, 1), TABLE).version == "pingding-1"
    assert discovery.target_in_force("140302", date(2026, 6, 30), TABLE).version == "city-1"
    assert discovery.target_in_force("140302", date(2026, 7, 1), TABLE).hours(LeadUrgency.emergency) == 12
    assert discovery.target_in_force("140302", date(2025, 1, 1), TABLE).version == "city-1"


def _lead(**changes: object) -> Lead:
    received = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    lead = Lead(
        id="l",
        source=LeadSource.monitoring_platform,
        reported_by="platform",
        source_ref=None,
        county_code="140302",
        township_code="140302001",
        urgency=LeadUrgency.emergency,
        category=None,
        subtype=None,
        personal="sealed",
        person_bidx=None,
        status=LeadStatus.open,
        target_version="city-1",
        response_hours=24,
        received_at=received,
        due_at=discovery.due_at(received, 24),
        assigned_to=None,
        assigned_at=received,
        first_contact_at=None,
        contacted_by=None,
        contact_note=None,
        closed_at=None,
        closed_by=None,
        close_reason=None,
        application_id=None,
        converted_at=None,
        overdue_notified_at=None,
        created_at=received,
        updated_at=received,
    )
    return replace(lead, **changes)  # type: ignore[arg-type]


def test_a_lead_is_overdue_only_while_open_past_its_target_without_first_contact() -> None:
    lead = _lead()
    assert lead.due_at == lead.received_at + timedelta(hours=24)
    assert not discovery.is_overdue(lead, lead.due_at)
    assert discovery.is_overdue(lead, lead.due_at + timedelta(seconds=1))
    later = lead.due_at + timedelta(hours=1)
    assert not discovery.is_overdue(replace(lead, status=LeadStatus.contacted, first_contact_at=later), later)
    assert not discovery.is_overdue(replace(lead, status=LeadStatus.closed), later)


def test_a_converted_or_closed_lead_cannot_end_again() -> None:
    assert discovery.refusal_to_end(_lead()) is None
    assert "already became application a1" in (
        discovery.refusal_to_end(_lead(status=LeadStatus.converted, application_id="a1")) or ""
    )
    assert "already closed" in (discovery.refusal_to_end(_lead(status=LeadStatus.closed)) or "")
