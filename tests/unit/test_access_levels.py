"""Jurisdiction by level (shared/access.py): township staff never cover a county-level object."""

import pytest

from shared.access import covers, ensure_county_level
from shared.auth import Principal, Role
from shared.errors import Forbidden, NotFound

CITY = Principal("city", frozenset({Role.policy_admin}))
COUNTY = Principal("county", frozenset({Role.policy_admin}), county_code="140302")
TOWNSHIP = Principal(
    "township", frozenset({Role.policy_admin}), county_code="140302", township_code="140302001"
)


def test_township_staff_never_cover_a_county_level_object():
    assert not covers(TOWNSHIP, "140302", None)
    assert covers(TOWNSHIP, "140302", "140302001") and not covers(TOWNSHIP, "140302", "140302002")
    assert covers(COUNTY, "140302", None) and covers(COUNTY, "140302", "140302002")
    assert not covers(COUNTY, "140303", None) and not covers(COUNTY, None, None)
    assert covers(CITY, "140303", None) and covers(CITY, None, None)


def test_only_county_or_city_staff_change_a_county_level_object():
    ensure_county_level(COUNTY, "140302")
    ensure_county_level(CITY, "140302")
    ensure_county_level(CITY, None)
    with pytest.raises(Forbidden):
        ensure_county_level(TOWNSHIP, "140302")
    with pytest.raises(NotFound):
        ensure_county_level(COUNTY, "140303")
    with pytest.raises(Forbidden):
        ensure_county_level(COUNTY, None)
