"""Referral hand-over rules: what of a needs record is still outstanding after partners' help, what a
part-fulfilment leaves for the next partner (R-CHA-1), and where a partner's Kafka records go."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from services.referral.adapters.partner_topics import own_topic, own_topic_address, topic_for
from services.referral.domain.model import DueDelivery, PartnerStatus
from services.referral.domain.tasks import outstanding, part_left


def test_outstanding_is_what_partners_have_not_covered_and_never_negative():
    assert outstanding(Decimal("5000.00"), []) == Decimal("5000.00")
    assert outstanding(Decimal("5000.00"), [Decimal("1200.00"), Decimal("800.50")]) == Decimal("2999.50")
    assert outstanding(Decimal("5000.00"), [Decimal("5000.00")]) == Decimal("0.00")
    assert outstanding(Decimal("100.00"), [Decimal("80.00"), Decimal("80.00")]) == Decimal("0.00")


def test_a_part_fulfilment_leaves_the_rest_and_a_full_one_nothing():
    assert part_left(Decimal("5000.00"), Decimal("1200.00")) == Decimal("3800.00")
    assert part_left(Decimal("5000.00"), Decimal("5000.00")) == Decimal("0.00")
    assert not part_left(Decimal("0.01"), Decimal("0.01"))


def test_every_partner_gets_its_own_topic_unless_the_shared_topic_is_enabled_explicitly():
    settings = SimpleNamespace(partner_kafka_topic_default="own")
    runtime = SimpleNamespace(topic=lambda name: f"city.{name}.v1", settings=settings)
    pid = "3f1c1f9e-6d8a-4a53-9a51-2f0e8f7c9b10"
    own = f"city.referral.partner.{pid}.v1"
    assert topic_for(runtime, SimpleNamespace(id=pid, kafka_topic="own")) == own  # type: ignore[arg-type]
    assert topic_for(runtime, SimpleNamespace(id=pid, kafka_topic="shared")) == own  # type: ignore[arg-type]
    settings.partner_kafka_topic_default = "shared"  # the operator's explicit choice (R-CHA-2)
    assert topic_for(runtime, SimpleNamespace(id=pid, kafka_topic="own")) == own  # type: ignore[arg-type]
    assert topic_for(runtime, SimpleNamespace(id=pid, kafka_topic="shared")) == "city.referral.partner.v1"  # type: ignore[arg-type]
    assert own_topic(runtime, pid) == own_topic_address("city").replace("{partnerId}", pid)  # type: ignore[arg-type]


def test_a_suspended_partner_still_gets_stop_notices_by_webhook_and_nothing_else():
    from services.referral.adapters.webhook_delivery import sendable

    def row(status: str, event_type: str, url: str | None = "https://charity.example/hook") -> DueDelivery:
        return DueDelivery(
            id=1,
            event_id="e-1",
            attempts=0,
            webhook_url=url,
            webhook_secret="enc",
            partner_status=PartnerStatus(status),
            envelope={"type": f"gov.assistance.referral.{event_type}.v1"},
        )

    assert sendable(row("active", "referral-offered"))
    assert not sendable(row("suspended", "referral-offered"))
    assert not sendable(row("suspended", "referral-offer-expired"))
    assert sendable(row("suspended", "referral-cancelled"))
    assert sendable(row("suspended", "needs-record-withdrawn"))
    assert not sendable(row("suspended", "referral-cancelled", url=None))
