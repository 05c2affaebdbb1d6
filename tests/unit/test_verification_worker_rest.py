"""Issue 16: the verification worker rests until the earliest due request (R-CAT-3, R-CAT-4), bounded by
the settings, so an idle assessment service does no database work between steps."""

from datetime import UTC, datetime, timedelta

from services.assessment.service.verification import rest_seconds
from services.assessment.settings import AssessmentSettings

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _settings() -> AssessmentSettings:
    return AssessmentSettings(verification_check_seconds=5.0, verification_idle_max_seconds=300.0)


def test_with_nothing_open_the_worker_rests_the_longest_configured_time() -> None:
    assert rest_seconds(None, NOW, _settings()) == 300.0


def test_the_worker_rests_until_the_earliest_due_request() -> None:
    assert rest_seconds(NOW + timedelta(seconds=42), NOW, _settings()) == 42.0


def test_an_overdue_step_waits_at_least_the_check_interval_and_a_far_one_at_most_the_ceiling() -> None:
    assert rest_seconds(NOW - timedelta(seconds=10), NOW, _settings()) == 5.0
    assert rest_seconds(NOW + timedelta(hours=2), NOW, _settings()) == 300.0
