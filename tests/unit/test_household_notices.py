"""The household service's pure rules: effective-dated county templates, written reasons of a refusal,
and the SMS gateway's request signature."""

from __future__ import annotations

import copy
import json
from datetime import date

from services.household.adapters.sms import signature
from services.household.domain import templates as tpl
from services.household.domain.reasons import refusal_reasons


def _set(extra: list[dict]) -> tpl.TemplateSet:
    data = json.loads(tpl.SEED.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["templates"].extend(extra)
    return tpl.parse(data)


def _county_refusal(effective: str, version: str) -> dict:
    return {
        "kind": "refused",
        "county_code": "140311",
        "effective_from": effective,
        "version": version,
        "sms": "郊区模板{case_no}",
    }


def test_a_countys_own_template_applies_from_its_effective_date_only():
    ts = _set([_county_refusal("2027-01-01", "jiaoqu-2")])
    assert ts.template("refused", "140311", date(2026, 12, 31)).version == "refused-2"
    assert ts.template("refused", "140311", date(2027, 1, 1)).version == "jiaoqu-2"
    assert ts.template("refused", "140302", date(2027, 1, 1)).version == "refused-2"


def test_the_newest_template_in_effect_wins():
    ts = _set([_county_refusal("2026-01-01", "a"), _county_refusal("2026-06-01", "b")])
    assert ts.template("refused", "140311", date(2026, 7, 1)).version == "b"
    assert ts.template("refused", "140311", date(2026, 3, 1)).version == "a"


def test_an_unknown_notice_kind_in_the_seed_is_refused():
    data = json.loads(tpl.SEED.read_text(encoding="utf-8"))
    data["templates"].append({**_county_refusal("2026-01-01", "x"), "kind": "mystery"})
    try:
        tpl.parse(data)
    except ValueError as exc:
        assert "mystery" in str(exc)
    else:
        raise AssertionError("an unknown kind was accepted")


def test_the_office_to_contact_is_the_townships_then_the_countys_then_the_citys():
    ts = tpl.load()
    assert ts.office("140302", "140302001").name == "上站街道办事处社会救助服务窗口"
    assert ts.office("140302", "140302009").name == "城区民政局"
    assert ts.office("140399", None).name == "阳泉市民政局社会救助科"


def test_a_placeholder_without_a_fact_renders_empty():
    assert tpl.render("受理号{case_no}{unknown}", {"case_no": "X1"}) == "受理号X1"


def test_refusal_reasons_cite_the_rule_and_its_figures_and_the_reviewers_opinion():
    assessed = [
        {
            "rule": "R-CAT-3",
            "passed": False,
            "message": "per-capita income ...",
            "figures": {
                "annual_household_income": "500000.00",
                "household_size": "2",
                "per_capita_income": "250000.00",
                "previous_year_income_per_capita": "46200.00",
            },
        },
        {"rule": "R-CAT-2", "passed": True, "message": "ok", "figures": {}},
    ]
    lines = refusal_reasons(assessed, "收入高于当地标准")
    assert lines[0].startswith("1．家庭人均可支配收入250000.00元") and "46200.00" in lines[0]
    assert "R-CAT-3" in lines[0]
    assert lines[1] == "2．审核意见：收入高于当地标准（R-FLOW-1）"
    assert len(lines) == 2  # a passed rule is no reason


def test_the_gateway_signature_covers_timestamp_and_body():
    body = b'{"text":"x"}'
    assert signature("k", "1", body) != signature("k", "2", body)
    assert signature("k", "1", body) != signature("k", "1", body + b" ")
    assert signature("k", "1", body).startswith("sha256=")


def test_application_submitted_without_the_new_fields_still_validates():
    """Backwards compatible: events written before ``applicant_index``/``contact_sealed`` existed."""
    from shared.contracts.intake import ApplicationSubmitted

    old = {
        "case_id": "00000000-0000-0000-0000-000000000001",
        "case_no": "LS1",
        "revision": 1,
        "channel": "walk_in",
        "referring_system": None,
        "county_code": "140302",
        "township_code": "140302001",
        "category": "emergency",
        "subtype": "fire_or_accident",
        "incident_date": "2026-11-01",
        "incident_ongoing": False,
        "household": [{"relation": "self", "age": 40}],
        "persons_helped": 1,
        "requested_months": None,
        "annual_household_income": "1000.00",
        "property": {"deposits": "0.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 0},
        "medical": None,
        "education": None,
        "consents": {
            "verify_economic_situation": True,
            "share_with_charities": False,
            "share_health_data": False,
        },
        "submitted_at": "2026-11-01T00:00:00Z",
    }
    ev = ApplicationSubmitted.model_validate(old)
    assert ev.applicant_index is None and ev.contact_sealed is None


def test_every_need_type_has_its_chinese_name_for_the_referred_notice() -> None:
    from services.household.handlers import NEED_LABELS
    from shared.contracts.common import NeedType

    assert set(NEED_LABELS) == {t.value for t in NeedType}
