"""One clock (shared/clock.py): China's date for every local-date rule, whatever the host's zone."""

from datetime import UTC, date, datetime

import pytest

from services.approval.service import help_first
from shared import clock, idnumber
from shared.figures import Filters
from shared.settings import ServiceSettings

AT_0759 = datetime(2026, 12, 20, 23, 59, tzinfo=UTC)  # 2026-12-21 07:59 in Shanghai
AT_0801 = datetime(2026, 12, 21, 0, 1, tzinfo=UTC)  # 2026-12-21 08:01 in Shanghai


@pytest.mark.parametrize("moment", [AT_0759, AT_0801], ids=["0759", "0801"])
def test_china_today_is_the_21st_at_0759_and_at_0801_china_time(moment):
    with clock.frozen(moment):
        assert clock.local_today() == date(2026, 12, 21)
        assert clock.now() == moment and clock.now().tzinfo is UTC


def test_at_0759_china_time_the_host_utc_date_is_still_the_day_before():
    with clock.frozen(AT_0759):
        assert clock.now().date() == date(2026, 12, 20) != clock.local_today()


def test_a_period_starts_at_china_midnight_not_utc_midnight():
    assert clock.start_of(date(2026, 12, 21)) == datetime(2026, 12, 20, 16, 0, tzinfo=UTC)
    assert clock.end_of(date(2026, 12, 21)) == datetime(2026, 12, 21, 16, 0, tzinfo=UTC)
    assert clock.local_date(AT_0759) == date(2026, 12, 21)


def test_figures_judge_open_obligations_on_chinas_today_at_0759():
    with clock.frozen(AT_0759):
        assert Filters().as_of() == date(2026, 12, 21)


def test_help_first_today_is_chinas_date_at_0759():
    with clock.frozen(AT_0759):
        assert help_first.today() == date(2026, 12, 21)


def test_a_person_born_on_chinas_today_is_valid_at_0759():
    first17 = "14030220261221001"
    number = first17 + idnumber.check_character(first17)
    with clock.frozen(AT_0759):
        assert idnumber.validate(number) == number


def test_the_programmes_zone_is_a_setting():
    try:
        clock.set_zone("UTC")
        with clock.frozen(AT_0759):
            assert clock.local_today() == date(2026, 12, 20)
    finally:
        clock.set_zone(None)
    assert clock.zone_name() == "Asia/Shanghai"


def test_an_unknown_time_zone_setting_is_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        ServiceSettings(time_zone="Mars/Olympus_Mons")


def test_the_clock_only_freezes_at_an_aware_instant():
    naive = datetime.fromisoformat("2026-12-21T08:00:00")
    with pytest.raises(ValueError), clock.frozen(naive):
        pass
