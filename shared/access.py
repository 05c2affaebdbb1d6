"""Who may do what, where: the bearer-token check, roles per endpoint and jurisdiction per object.

Every endpoint declares its roles with ``Depends(require(...))`` and gets the caller's ``Principal``;
an endpoint that takes an id then calls ``ensure_covers`` with the object's county and township
(OWASP API1: object-level authorisation — a case outside the caller's jurisdiction is a 404, as if it
did not exist), and a list endpoint narrows its filters with ``scope``. Objects have a level: a township's
(cases, payments, its reserve fund's balance) or a county's (township None: policy versions, calendars,
per-township limits, reserve-fund allocations, registered partners). Township staff never cover a
county-level object; changes to one go through ``ensure_county_level``.

The check also records who is acting (``current_actor``) for the audit log (shared/audit.py): first as
``anonymous`` (so a refused token is recorded too), then as the token's subject. ``ensure_covers``, ``guard``
and ``scope`` note the county and township of the object (or list) on the request's ``RequestAudit``, so
the entry carries them and ``/audit/entries`` can be scoped like every list.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import DEV_ISSUER, DevIssuer, InvalidToken, Principal, Role, TokenVerifier
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.logging import route_template
from shared.ratelimit import failures_counted
from shared.settings import ServiceSettings

log = logging.getLogger("assistance.access")

STAFF = (
    Role.intake_clerk,
    Role.township_reviewer,
    Role.township_approver,
    Role.county_approver,
    Role.finance_officer,
    Role.auditor,
)
"""Government staff who may read cases in their jurisdiction."""
DECIDERS = (Role.township_approver, Role.county_approver)
ADMIN = (Role.policy_admin,)
PROTECTION = (Role.data_protection_officer,)
"""Who answers a person's requests about their data (PIPL arts. 44-47): the export, the recipients list."""

bearer = HTTPBearer(
    auto_error=False,
    description="An access token (JWT) from the configured identity provider; "
    "`python -m services token` mints one in development",
)


class Authenticator:
    """Verifies a token with the verifier of its issuer: the configured identity provider and, outside
    production, the development issuer."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.verifiers: dict[str, TokenVerifier] = {}
        self.dev: DevIssuer | None = None
        if settings.auth_issuer and settings.auth_jwks_url:
            self.verifiers[settings.auth_issuer] = TokenVerifier(
                issuer=settings.auth_issuer, audience=settings.auth_audience, jwks_url=settings.auth_jwks_url
            )
        if settings.auth_dev_issuer and settings.environment != "production":
            self.dev = DevIssuer(Path(settings.auth_dev_key_dir), settings.auth_audience)
            self.verifiers[DEV_ISSUER] = self.dev.verifier()

    def verify(self, token: str) -> Principal:
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise InvalidToken("not a JWT") from exc
        verifier = self.verifiers.get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise InvalidToken("unknown issuer")
        return verifier.verify(token)


@dataclass(frozen=True)
class Actor:
    """Who is acting in this request, for the audit log."""

    principal: Principal
    action: str
    target: dict[str, str]
    ip: str | None
    reason: str | None
    request_id: str | None


@dataclass
class RequestAudit:
    """What the one audit entry of an API request will say; set up per request by shared/audit_http.py."""

    actor: Actor | None = None
    county_code: str | None = None
    township_code: str | None = None
    placed: bool = False
    written: bool = False
    """True once a change entry committed with the request's change (then nothing more is appended)."""

    def note_place(self, county_code: str | None, township_code: str | None) -> None:
        """The object's place; objects of several places leave what they share (county, or city-wide)."""
        if not self.placed:
            self.county_code, self.township_code, self.placed = county_code, township_code, True
            return
        if self.county_code != county_code:
            self.county_code, self.township_code = None, None
        elif self.township_code != township_code:
            self.township_code = None

    def place(self) -> tuple[str | None, str | None]:
        """The noted place, else the caller's own jurisdiction."""
        if self.placed or self.actor is None:
            return self.county_code, self.township_code
        return self.actor.principal.county_code, self.actor.principal.township_code


_ACTOR: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("assistance_actor", default=None)
_REQUEST: contextvars.ContextVar[RequestAudit | None] = contextvars.ContextVar(
    "assistance_request_audit", default=None
)
ANONYMOUS = Principal(subject="anonymous", roles=frozenset())


def current_actor() -> Actor | None:
    return _ACTOR.get()


def current_request_audit() -> RequestAudit | None:
    return _REQUEST.get()


def begin_request_audit() -> RequestAudit:
    """A fresh record for one request (the audit middleware calls this before the app runs)."""
    record = RequestAudit()
    _REQUEST.set(record)
    return record


def note_place(county_code: str | None, township_code: str | None) -> None:
    record = _REQUEST.get()
    if record is not None:
        record.note_place(county_code, township_code)


def record_actor(request: Request, principal: Principal) -> Actor:
    """Who is acting in this request (the audit entry names them), also for a refused attempt."""
    actor = Actor(
        principal=principal,
        action=f"{request.method} {route_template(request.scope)}",
        target={k: str(v)[:64] for k, v in request.path_params.items()},
        ip=request.client.host if request.client else None,
        reason=(request.headers.get("x-audit-reason") or "")[:200] or None,
        request_id=request.headers.get("x-request-id", "")[:64] or None,
    )
    record = _REQUEST.get()
    if record is not None:
        record.actor = actor
    if principal is not ANONYMOUS:
        _ACTOR.set(actor)
    return actor


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer)
) -> Principal:
    if credentials is None:
        raise _unauthenticated("a bearer token is required")
    with failures_counted(request):  # per-source lockout after repeated bad tokens (shared/ratelimit.py)
        try:
            return _authenticator(request).verify(credentials.credentials)
        except InvalidToken as exc:
            log.info("token refused", extra={"reason": str(exc)[:120]})
            raise _unauthenticated(
                "the bearer token is not valid (signature, issuer, audience, expiry or claims)"
            ) from exc


def _unauthenticated(detail: str) -> Unauthorized:
    return Unauthorized(detail)


def require(*roles: Role) -> Callable[..., Any]:
    """A dependency: the caller holds one of ``roles``; returns the Principal and records the actor."""
    allowed = frozenset(roles)

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer)
    ) -> Principal:
        record_actor(request, ANONYMOUS)  # a refused token is audited too
        principal = await authenticate(request, credentials)
        record_actor(request, principal)
        if not principal.roles & allowed:
            raise Forbidden(f"this action needs one of the roles: {', '.join(sorted(allowed))}")
        return principal

    dependency.__name__ = "require_" + "_or_".join(sorted(allowed))
    return dependency


def covers(principal: Principal, county_code: str | None, township_code: str | None) -> bool:
    """Jurisdiction of an object at a place, by level: city staff (no county) cover everything; county staff
    their county and its townships; township staff their own township's objects only. An object whose
    township is None belongs to the county (county policy versions, calendars, per-township limits, reserve
    fund allocations, partners registered for the county): township staff never cover it — unlike
    ``Principal.covers``, which treats a missing township as "anywhere in the county". An object of no
    known place (county None) is the city's."""
    if principal.county_code is None:
        return True
    if county_code is None or principal.county_code != county_code:
        return False
    if principal.township_code is None:
        return True
    return township_code is not None and principal.township_code == township_code


def is_county_level(principal: Principal) -> bool:
    """City or county staff: those who may act on county-level objects of their county."""
    return principal.township_code is None


def ensure_covers(
    principal: Principal, county_code: str | None, township_code: str | None, what: str = "case"
) -> None:
    """Object-level check: outside the caller's jurisdiction the object does not exist for them (404).
    ``township_code=None`` is a county-level object: township staff are refused it (see ``covers``)."""
    note_place(county_code, township_code)
    if not covers(principal, county_code, township_code):
        raise NotFound(f"{what} not found")


def ensure_county_level(principal: Principal, county_code: str | None, what: str = "county") -> None:
    """For changes to a county-level object (a county's policy versions, calendar, townships' limits, reserve
    fund allocations, partner registry): another county's is a 404 as for any object; the caller's own
    county's needs county-level (or city) staff — township staff get 403 naming why."""
    if county_code is not None and principal.county_code not in (None, county_code):
        raise NotFound(f"{what} not found")
    if county_code is None and principal.county_code is not None:
        raise Forbidden(f"this {what} is the city's: city staff change it")
    if not is_county_level(principal):
        raise Forbidden(
            f"this {what} is county-level: county (or city) staff change it, not a township's "
            f"({principal.township_code})"
        )


def scope(
    principal: Principal, county_code: str | None, township_code: str | None
) -> tuple[str | None, str | None]:
    """List filters narrowed to the caller's jurisdiction; asking for another one is a 403."""
    if principal.county_code is None:
        note_place(county_code, township_code)
        return county_code, township_code
    if county_code not in (None, principal.county_code):
        raise Forbidden(f"county {county_code} is outside your jurisdiction")
    if principal.township_code is None:
        if township_code is not None and not township_code.startswith(principal.county_code):
            raise Forbidden(f"township {township_code} is outside your jurisdiction")
        note_place(principal.county_code, township_code)
        return principal.county_code, township_code
    if township_code not in (None, principal.township_code):
        raise Forbidden(f"township {township_code} is outside your jurisdiction")
    note_place(principal.county_code, principal.township_code)
    return principal.county_code, principal.township_code


def guard(county_code: str | None, township_code: str | None, what: str = "case") -> None:
    """Object-level check for use-case code: called right after an object is loaded. Within an API call it
    refuses (404) an object outside the caller's jurisdiction; event handlers (no caller) are not limited."""
    actor = _ACTOR.get()
    if actor is not None:
        ensure_covers(actor.principal, county_code, township_code, what)


def guard_county_level(county_code: str | None, what: str = "county") -> None:
    """``ensure_county_level`` for use-case code, right after the object is loaded; event handlers (no
    caller) are not limited."""
    actor = _ACTOR.get()
    if actor is not None:
        ensure_county_level(actor.principal, county_code, what)


def caller() -> Principal | None:
    actor = _ACTOR.get()
    return actor.principal if actor else None
