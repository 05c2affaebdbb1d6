"""Token claims are checked for their type before they become a caller (issue 13 §6): a claim of the
wrong type is a 401 problem, never a 500, and an empty county never means city-wide."""

from __future__ import annotations

import itertools

import httpx
import pytest

from tests.factories import ALL_STAFF, address, application, auth, pending_case, token

A_COUNTY, A_TOWNSHIP = "140302", "140302001"
B_COUNTY, B_TOWNSHIP = "140303", "140303001"
_hosts = (f"10.13.1.{n}" for n in itertools.count(1))


def source(standalone) -> httpx.AsyncClient:
    """A client of its own address: the failures it provokes lock out nobody else (shared/ratelimit.py)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=standalone.app, client=(next(_hosts), 40000)),
        base_url="http://standalone",
    )


def bearer(**claims) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('claims-tester', *ALL_STAFF, extra=claims)}"}


@pytest.fixture(scope="module")
async def b_case(standalone) -> str:
    case_id, _ = await pending_case(standalone, application(address=address(B_COUNTY, B_TOWNSHIP)))
    return case_id


WRONG = {
    "roles as a string": {"roles": "auditor"},
    "roles as numbers": {"roles": [1, 2]},
    "roles as an object": {"roles": {"auditor": True}},
    "roles null": {"roles": None},
    "roles nested lists": {"roles": [["auditor"]]},
    "county as a number": {"county_code": 140302},
    "county as a list": {"county_code": ["140302"]},
    "county empty": {"county_code": ""},
    "county blank": {"county_code": "   "},
    "county null": {"county_code": None},
    "county not a code": {"county_code": "city"},
    "township as a number": {"township_code": 140302001},
    "township empty": {"township_code": ""},
    "township outside the county": {"county_code": A_COUNTY, "township_code": B_TOWNSHIP},
    "partner id as a number": {"partner_id": 7},
    "scope as a list": {"scope": ["read"]},
    "subject as a number": {"sub": 42},
}


@pytest.mark.parametrize("claims", WRONG.values(), ids=WRONG.keys())
async def test_a_token_with_a_claim_of_the_wrong_type_is_refused_with_401(standalone, claims):
    async with source(standalone) as client:
        r = await client.get("/approval/v1/cases", headers=bearer(**claims))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401 and r.headers["www-authenticate"].startswith("Bearer")


async def test_an_empty_county_claim_does_not_read_another_countys_case(standalone, b_case):
    async with source(standalone) as client:
        for claims in ({"county_code": ""}, {"county_code": "", "township_code": ""}):
            one = await client.get(f"/approval/v1/cases/{b_case}", headers=bearer(**claims))
            assert one.status_code == 401, one.text
            listed = await client.get("/approval/v1/cases?limit=200", headers=bearer(**claims))
            assert listed.status_code == 401, listed.text


async def test_only_a_token_without_county_and_township_is_city_wide(standalone, b_case):
    city = await standalone.get(f"/approval/v1/cases/{b_case}", headers=auth("city-auditor", "auditor"))
    assert city.status_code == 200, city.text
    county_a = auth("county-auditor", "auditor", county=A_COUNTY)
    assert (await standalone.get(f"/approval/v1/cases/{b_case}", headers=county_a)).status_code == 404


async def test_a_township_claim_alone_places_the_caller_in_its_county(standalone, b_case):
    own = {"Authorization": f"Bearer {token('b-clerk', 'auditor', extra={'township_code': B_TOWNSHIP})}"}
    assert (await standalone.get(f"/approval/v1/cases/{b_case}", headers=own)).status_code == 200
    other = {"Authorization": f"Bearer {token('a-clerk', 'auditor', extra={'township_code': A_TOWNSHIP})}"}
    assert (await standalone.get(f"/approval/v1/cases/{b_case}", headers=other)).status_code == 404


async def test_unknown_role_names_grant_nothing(standalone):
    r = await standalone.get("/approval/v1/cases", headers=bearer(roles=["superuser", "admin"]))
    assert r.status_code == 403, r.text
