"""The household service's refusals, as domain errors (shared/domain_errors.py); shared/errors.py turns
them into problem+json. Slugs are those the API answered before (the problem type URIs stay)."""

from __future__ import annotations

from shared.domain_errors import InvalidValue, RecordNotFound, RuleRefused

UNKNOWN_CASE = "no case with this number and verifier"
"""The one answer to an unknown case number and to a wrong verifier alike (nothing to probe with)."""


class CaseNotFound(RecordNotFound):
    """No such case (or none the caller may see; an unknown number and a wrong verifier answer alike)."""


class NoticeNotFound(RecordNotFound):
    """No such notice, or one without a decision letter."""


class TooManyFailedQueries(RuleRefused):
    """A source sent too many wrong verifiers within its window; the router answers 429 with Retry-After
    (an HTTP matter), the service only says how long to wait."""

    slug, title = "too-many-failed-queries", "Too many failed status queries"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed queries from this system; retry after {retry_after} seconds")
        self.retry_after = retry_after


class ReceiverRefused(InvalidValue):
    """A subscriber's webhook URL that may not be called (SSRF: only https to a public host)."""
