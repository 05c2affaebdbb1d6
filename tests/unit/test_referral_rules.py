"""Referral's pure rules: the FHIR Task lifecycle, partner matching, Standard Webhooks signing, backoff,
webhook URL policy, and the AsyncAPI document kept in step with the payload models."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.referral.api.asyncapi_doc import partner_asyncapi
from services.referral.domain.tasks import (
    Action,
    TaskStatus,
    TransitionRefused,
    check_fulfilled_amount,
    next_status,
    serves,
)
from shared.asyncapi import REF_TEMPLATE
from shared.contracts import referral as referral_contracts
from shared.contracts.referral import INTERNAL_EVENT_TYPES, PARTNER_ADDRESSED_EVENT_TYPES, PARTNER_EVENT_TYPES
from shared.events import REGISTRY
from shared.settings import ServiceSettings
from shared.webhooks import backoff, headers, new_secret, sign, url_problem, verify


class TestTaskLifecycle:
    def test_happy_path_follows_fhir_task_statuses(self):
        status = next_status("requested", Action.accept)
        assert status is TaskStatus.accepted
        status = next_status(status, Action.start)
        assert status is TaskStatus.in_progress
        assert next_status(status, Action.fulfil) is TaskStatus.completed
        assert next_status("accepted", Action.fulfil) is TaskStatus.completed
        assert next_status("requested", Action.decline) is TaskStatus.rejected

    @pytest.mark.parametrize(
        ("status", "action"),
        [
            ("accepted", Action.accept),
            ("rejected", Action.accept),
            ("cancelled", Action.accept),
            ("requested", Action.fulfil),
            ("completed", Action.fulfil),
            ("accepted", Action.decline),
            ("requested", Action.start),
            ("cancelled", Action.fulfil),
        ],
    )
    def test_other_moves_are_refused(self, status, action):
        with pytest.raises(TransitionRefused):
            next_status(status, action)

    def test_fulfilled_amount_is_positive_and_within_what_remained(self):
        assert check_fulfilled_amount(Decimal("100.00"), Decimal("100.00")) is None
        assert check_fulfilled_amount(Decimal("0"), Decimal("100.00"))
        assert check_fulfilled_amount(Decimal("100.01"), Decimal("100.00"))


def test_a_partner_serves_a_record_by_need_type_and_county_or_township():
    kw = {"need_type": "medical", "county_code": "140302", "township_code": "140302005"}
    assert serves(["medical"], ["140302"], **kw)
    assert serves(["medical", "education"], ["140302005"], **kw)
    assert not serves(["education"], ["140302"], **kw)
    assert not serves(["medical"], ["140302001", "140303"], **kw)


class TestStandardWebhooks:
    def test_signature_matches_the_standard_webhooks_reference_vector(self):
        secret, msg_id, stamp = (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
        )
        body = b'{"test": 2432232314}'
        assert sign(secret, msg_id, stamp, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        assert verify(
            secret, msg_id, stamp, body, "v1,bm90LXRoaXM= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        )

    def test_any_change_breaks_the_signature(self):
        secret = new_secret()
        sent = headers(secret, "evt-1", 1700000000, b'{"a":1}')
        assert sent["webhook-id"] == "evt-1" and sent["webhook-timestamp"] == "1700000000"
        sig = sent["webhook-signature"]
        assert verify(secret, "evt-1", 1700000000, b'{"a":1}', sig)
        assert not verify(secret, "evt-2", 1700000000, b'{"a":1}', sig)
        assert not verify(secret, "evt-1", 1700000001, b'{"a":1}', sig)
        assert not verify(secret, "evt-1", 1700000000, b'{"a":2}', sig)
        assert not verify(new_secret(), "evt-1", 1700000000, b'{"a":1}', sig)

    def test_backoff_doubles_up_to_the_cap(self):
        assert [backoff(n, 1.0, 5.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]

    @pytest.mark.parametrize(
        ("url", "allow_loopback", "ok"),
        [
            ("https://charity.example/hook", False, True),
            ("http://charity.example/hook", True, False),
            ("http://127.0.0.1:8080/hook", True, True),
            ("http://localhost/hook", True, True),
            ("http://127.0.0.1:8080/hook", False, False),
            ("ftp://charity.example", True, False),
            ("https://", True, False),
            ("http://[::1", True, False),
            ("http://10.0.0.1/x", True, False),
        ],
    )
    def test_receivers_must_be_https_except_loopback_by_explicit_setting(self, url, allow_loopback, ok):
        problem = url_problem(url, allow_loopback_http=allow_loopback, refused_hosts=frozenset())
        assert (problem is None) is ok


def test_asyncapi_lists_every_partner_event_with_the_models_own_schema():
    settings = ServiceSettings(service_name="referral", topic_prefix="assistance")
    runtime = SimpleNamespace(settings=settings, topic=lambda name: f"assistance.{name}.v1")
    doc = partner_asyncapi(runtime)  # type: ignore[arg-type]
    assert doc["asyncapi"].startswith("3.")
    module_types = {t for t, m in REGISTRY.items() if m.__module__ == referral_contracts.__name__}
    # every referral event is either for partners (in the document) or internal (never in it)
    assert module_types == set(PARTNER_EVENT_TYPES) | set(INTERNAL_EVENT_TYPES)
    assert not set(PARTNER_EVENT_TYPES) & set(INTERNAL_EVENT_TYPES)
    assert set(PARTNER_ADDRESSED_EVENT_TYPES) <= set(PARTNER_EVENT_TYPES)
    partner_types = set(PARTNER_EVENT_TYPES)
    schemas, messages = doc["components"]["schemas"], doc["components"]["messages"]
    for event_type in partner_types:
        model = REGISTRY[event_type]
        expected = model.model_json_schema(ref_template=REF_TEMPLATE)
        for name, definition in expected.pop("$defs", {}).items():
            assert schemas[name] == definition
        assert schemas[model.__name__] == expected, event_type
        payload = messages[model.__name__]["payload"]["allOf"][1]["properties"]
        assert payload["type"] == {"const": event_type}
        assert payload["data"] == {"$ref": f"#/components/schemas/{model.__name__}"}
        for channel in ("partnerTopic", "partnerWebhook"):
            assert model.__name__ in doc["channels"][channel]["messages"]
    assert doc["channels"]["partnerTopic"]["address"] == "assistance.referral.partner.v1"
    for event_type in INTERNAL_EVENT_TYPES:
        assert REGISTRY[event_type].__name__ not in messages, "internal events are not for partners"
    # each partner's own topic: a channel with a partnerId parameter, carrying what is addressed to one
    # partner
    own = doc["channels"]["partnerOwnTopic"]
    assert own["address"] == "assistance.referral.partner.{partnerId}.v1"
    assert set(own["parameters"]) == {"partnerId"} and own["parameters"]["partnerId"]["description"]
    assert set(own["messages"]) == {REGISTRY[t].__name__ for t in PARTNER_ADDRESSED_EVENT_TYPES}
    for event_type in PARTNER_ADDRESSED_EVENT_TYPES:
        assert "partner_id" in REGISTRY[event_type].model_fields, event_type
    assert "NeedsRecordPublished" not in own["messages"]  # announcements stay on the shared topic
    assert {"receive_partnerTopic", "receive_partnerOwnTopic", "receive_partnerWebhook"} <= set(
        doc["operations"]
    )
    refs = [m["$ref"] for op in doc["operations"].values() for m in op["messages"]]
    assert all(r.split("/messages/")[1] in messages for r in refs)
