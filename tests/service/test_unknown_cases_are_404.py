"""Unknown ids: every ``/{case_id}/...`` route of the five services answers 404 for a case it does not know,
and for a case outside the caller's jurisdiction (it does not exist for them), never 200 with an empty
list."""

import uuid

import pytest

from tests.factories import ALL_STAFF, address, application, auth, document_body, eventually, pending_case

pytestmark = pytest.mark.asyncio(loop_scope="session")

RAISE = {
    "decided_by": "城区人民政府常务会议",
    "decided_on": "2026-11-20",
    "reference": "城政纪〔2026〕99号",
    "reason": "家庭负担特别沉重",
    "months": 6,
}


def case_routes() -> list[tuple[str, str, dict | None]]:
    """(method, path with {id}, valid body) for every route that addresses a case by id."""
    body = application()
    return [
        ("GET", "/intake/v1/applications/{id}", None),
        ("PUT", "/intake/v1/applications/{id}", {**body, "reason": "more bills came in"}),
        ("GET", "/intake/v1/applications/{id}/revisions", None),
        ("GET", "/intake/v1/applications/{id}/timeline", None),
        (
            "POST",
            "/intake/v1/applications/{id}/duplicate-review",
            {"outcome": "cleared", "reason": "checked"},
        ),
        ("POST", "/intake/v1/applications/{id}/documents", document_body("id_card")),
        ("POST", "/intake/v1/applications/{id}/documents/batch", {"documents": [document_body("id_card")]}),
        ("GET", "/intake/v1/applications/{id}/documents", None),
        ("POST", "/intake/v1/applications/{id}/documents/{kind}/content", None),
        ("GET", "/intake/v1/applications/{id}/documents/{document_id}/content", None),
        ("GET", "/intake/v1/applications/{id}/archive/export", None),
        ("POST", "/intake/v1/applications/{id}/forms/approval-form", None),
        (
            "POST",
            "/intake/v1/applications/{id}/home-visits",
            {
                "visited_on": "2026-11-02",
                "second_visitor": "other",
                "findings": "f",
                "living_conditions": "l",
            },
        ),
        ("GET", "/intake/v1/applications/{id}/home-visits", None),
        ("POST", "/intake/v1/applications/{id}/home-visits/{visit_id}/confirmation", None),
        ("POST", "/intake/v1/applications/{id}/consents/share_with_charities/withdrawal", None),
        (
            "POST",
            "/intake/v1/applications/{id}/corrections",
            {"field": "phone", "value": "13900000000", "reason": "changed number"},
        ),
        ("GET", "/intake/v1/applications/{id}/corrections", None),
        (
            "POST",
            "/intake/v1/applications/{id}/corrections/{correction_id}/review",
            {"decision": "refuse", "reason": "no proof"},
        ),
        ("GET", "/assessment/v1/cases/{id}", None),
        ("GET", "/assessment/v1/cases/{id}/assessments", None),
        ("POST", "/assessment/v1/cases/{id}/raises", RAISE),
        ("GET", "/approval/v1/cases/{id}", None),
        ("POST", "/approval/v1/cases/{id}/review", {"opinion": "approved", "reasons": "checked"}),
        ("POST", "/approval/v1/cases/{id}/decision", {"decision": "approved", "reasons": "checked"}),
        ("POST", "/approval/v1/cases/{id}/archive-override", {"reason": "report follows"}),
        (
            "POST",
            "/approval/v1/cases/{id}/help-first",
            {"amount": "100.00", "form": "cash", "channel": "direct", "reasons": "fire"},
        ),
        ("POST", "/approval/v1/cases/{id}/help-first/emergency-over", {"over_on": "2026-03-06"}),
        ("POST", "/approval/v1/cases/{id}/reexaminations", {"ground": "refusal", "grounds": "复核"}),
        ("GET", "/approval/v1/cases/{id}/reexaminations", None),
        (
            "POST",
            "/approval/v1/cases/{id}/reexaminations/decision",
            {"outcome": "upheld", "reasons": "checked"},
        ),
        ("POST", "/approval/v1/cases/{id}/complaints", {"topic": "delay", "summary": "two weeks"}),
        ("GET", "/approval/v1/cases/{id}/complaints", None),
        ("GET", "/disbursement/v1/cases/{id}/ledger", None),
        ("GET", "/disbursement/v1/cases/{id}/payments", None),
        (
            "PUT",
            "/disbursement/v1/cases/{id}/payee",
            {"name": "张小明", "bank": "中国银行", "account": "6216610200016587001", "reason": "new card"},
        ),
        ("GET", "/disbursement/v1/cases/{id}/payee-changes", None),
        ("GET", "/referral/v1/cases/{id}/needs-records", None),
        ("GET", "/referral/v1/cases/{id}/referrals", None),
        ("GET", "/referral/v1/cases/{id}/needs", None),
        ("GET", "/assessment/v1/cases/{id}/verification", None),
        (
            "POST",
            "/assessment/v1/cases/{id}/essential-spending/{item}",
            {"finding": "医疗票据与医保结算单一致"},
        ),
        ("GET", "/referral/v1/cases/{id}/timeline", None),
        ("GET", "/referral/v1/cases/{id}/scheme-referrals", None),
        (
            "POST",
            "/referral/v1/cases/{id}/scheme-referrals",
            {"partner_id": "00000000-0000-4000-8000-000000000000", "need_type": "medical"},
        ),
        ("GET", "/household/v1/cases/{id}/notices", None),
        ("PUT", "/household/v1/cases/{id}/sms-opt-out", {"opt_out": True}),
    ]


def _url(path: str, case_id: str) -> str:
    """The path for ``case_id``; a second id (a visit, a document) is an unknown one, a kind or an
    essential-spending item (R-CAT-4) a real one."""
    return path.format(
        id=case_id,
        visit_id=uuid.uuid4(),
        document_id=uuid.uuid4(),
        correction_id=uuid.uuid4(),
        kind="medical_bills",
        item="medical",
    )


async def test_the_loop_covers_every_case_route_of_the_five_services(standalone):
    documented = {
        (method.upper(), path.replace("{application_id}", "{id}").replace("{case_id}", "{id}"))
        for path, ops in standalone.app.openapi()["paths"].items()
        if "{case_id}" in path or "{application_id}" in path
        for method in ops
    }
    looped = {(m, p.replace("/share_with_charities/", "/{consent}/")) for m, p, _ in case_routes()}
    assert documented == looped


async def test_an_unknown_case_ledger_is_404(standalone):
    response = await standalone.get(f"/disbursement/v1/cases/{uuid.uuid4()}/ledger")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("method", "path", "body"), case_routes(), ids=lambda v: v if isinstance(v, str) else ""
)
async def test_an_unknown_case_is_404_on_every_case_route(standalone, method, path, body):
    response = await standalone.request(method, _url(path, str(uuid.uuid4())), json=body)
    assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), (method, path)


async def test_a_case_outside_the_callers_jurisdiction_is_404_on_every_case_route(standalone):
    case_id, _ = await pending_case(standalone, application(address=address("140302", "140302001")))

    async def known_downstream():  # disbursement and referral know the case from ApplicationSubmitted
        d = await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")
        r = await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")
        return d.status_code == 200 and r.status_code == 200

    await eventually(known_downstream, what="every service to know the case")
    elsewhere = auth("clerk-of-another-county", *ALL_STAFF, county="140303")
    for method, path, body in case_routes():
        if body and "address" in body:  # the caller's own township: only the case is out of reach
            body = {**body, "address": address("140303", "140303001")}
        response = await standalone.request(method, _url(path, case_id), json=body, headers=elsewhere)
        assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json"), (method, path)
