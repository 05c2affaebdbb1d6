"""Domain errors: what a rule or the state of a record refuses, in the language of the policy.

Domain and service code raise these (never HTTP exceptions); ``shared.errors`` maps them to RFC 9457
problem+json in one place, by their ``kind``:

- ``Kind.NOT_FOUND`` → 404: the record does not exist (or is outside the caller's view).
- ``Kind.REFUSED`` → 409: the request is well-formed but a policy rule or the record's state refuses it
  (four eyes, limits, a closed window, a repeat application, a wrong status).
- ``Kind.INVALID`` → 422: a value of the payload is wrong in itself (payload validation only).
- ``Kind.FORBIDDEN`` → 403: the caller's role or jurisdiction does not allow it.

Each service's ``domain/errors.py`` defines the named errors (``ReviewRequired``, ``SeparationOfDuties``,
``AboveTownshipLimit``, ``ReserveFundExhausted``…) as subclasses with a stable ``slug`` (the problem type
URI's last segment) and a ``title``; the ``detail`` is the human sentence, and keyword arguments become
problem extension members (e.g. ``rule="R-AID-2"``). This module imports nothing but the standard
library, so domain code stays pure.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class Kind(StrEnum):
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    INVALID = "invalid"
    FORBIDDEN = "forbidden"


class DomainError(Exception):
    """Base of every domain error. Subclasses set ``kind``, ``slug`` and ``title``."""

    kind: ClassVar[Kind] = Kind.REFUSED
    slug: ClassVar[str] = "rule-violated"
    title: ClassVar[str] = "Refused by a policy rule"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class RecordNotFound(DomainError):
    """A record that does not exist, or that the caller may not know exists."""

    kind, slug, title = Kind.NOT_FOUND, "not-found", "Not found"


class RuleRefused(DomainError):
    """A policy rule refuses the request (409). Prefer a named subclass per rule."""

    kind, slug, title = Kind.REFUSED, "rule-violated", "Refused by a policy rule"


class StateConflict(DomainError):
    """The record's current state does not allow the operation (409)."""

    kind, slug, title = Kind.REFUSED, "conflict", "Conflict"


class InvalidValue(DomainError):
    """A payload value that is wrong in itself (422), naming the field."""

    kind, slug, title = Kind.INVALID, "validation-error", "Request validation failed"

    def __init__(self, field: str, message: str, **extensions: Any) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}], **extensions)
        self.field = field


class NotPermitted(DomainError):
    """The caller's role or jurisdiction does not allow the operation (403)."""

    kind, slug, title = Kind.FORBIDDEN, "forbidden", "Forbidden"
