"""Who is calling: bearer JWTs verified against configured issuers' keys (OIDC-compatible JWKS), turned
into a Principal with roles and a jurisdiction. A development issuer mints tokens locally so standalone
mode stays usable; production refuses it.

Claims read: ``sub``, ``roles`` (list), ``county_code``, ``township_code``, ``partner_id``, ``scope``.
A claim of the wrong type (roles not a list of strings, a code that is not a 6- or 9-digit string, an empty
or ``null`` county) makes the token invalid (401): only a token *without* county and township claims is
city-wide, never one whose county is empty.
Unsigned (``alg: none``) tokens, HMAC tokens, expired tokens and tokens for another audience or issuer are
refused: only the asymmetric algorithms below are accepted, and ``exp``, ``iat``, ``aud`` and ``iss``
are required.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHMS = ["ES256", "RS256", "EdDSA"]
VERIFIED_CACHE_SIZE = 1024
VERIFIED_CACHE_SECONDS = 60.0
"""A verified token is taken again without its signature check for at most this long (and never past its
own expiry): a calling system reuses one token for many requests, and the check was the largest single
cost of an API call. Shorter than the key set's own cache (300 s), so a withdrawn key stops no later."""
DEV_ISSUER = "urn:assistance:dev-issuer"


class Role(StrEnum):
    intake_clerk = "intake_clerk"
    township_reviewer = "township_reviewer"
    township_approver = "township_approver"
    county_approver = "county_approver"
    finance_officer = "finance_officer"
    auditor = "auditor"
    policy_admin = "policy_admin"
    partner = "partner"
    gov_system = "gov_system"
    data_protection_officer = "data_protection_officer"
    """个人信息保护负责人 (PIPL art. 52): answers a person's requests about their data (export, recipients,
    corrections); reads no case lists and decides no case."""


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    county_code: str | None = None
    township_code: str | None = None
    partner_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def covers(self, county_code: str, township_code: str | None = None) -> bool:
        """Jurisdiction: city staff (no county) see all; county staff their county; township staff their
        township only."""
        if self.county_code is None:
            return True
        if self.county_code != county_code:
            return False
        return self.township_code is None or township_code is None or self.township_code == township_code


class InvalidToken(Exception):
    pass


class TokenVerifier:
    """Verifies tokens of one issuer against its JWKS (URL, fetched and cached) or a local key set."""

    def __init__(
        self, *, issuer: str, audience: str, jwks_url: str | None = None, jwks: dict[str, Any] | None = None
    ) -> None:
        self.issuer, self.audience = issuer, audience
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._keys = jwt.PyJWKSet.from_dict(jwks) if jwks else None
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        """Recently verified tokens: their principal and until when it may be reused (least recent first)."""

    def _key(self, token: str) -> Any:  # a PyJWK's key, which pyjwt types as Any
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        header = jwt.get_unverified_header(token)
        if self._keys is None:
            raise RuntimeError("an Authenticator needs jwks_url or jwks")
        for key in self._keys.keys:
            if key.key_id == header.get("kid"):
                return key.key
        raise InvalidToken("unknown signing key")

    def verify(self, token: str) -> Principal:
        """The token's principal; a token verified in the last ``VERIFIED_CACHE_SECONDS`` (the exact same
        string) is not checked again until then, nor past its expiry."""
        now = time.time()
        seen = self._verified.get(token)
        if seen is not None:
            principal, until = seen
            if now < until:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires = self._verify(token)
        self._verified[token] = (principal, min(now + VERIFIED_CACHE_SECONDS, expires))
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=30,
            )
        except (jwt.PyJWTError, InvalidToken, KeyError, ValueError, TypeError) as exc:
            raise InvalidToken(str(exc)) from exc
        return principal_of(claims), float(claims["exp"])


COUNTY_CODE = re.compile(r"\d{6}")
TOWNSHIP_CODE = re.compile(r"\d{9}")


def _text_claim(claims: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> str | None:
    """An optional string claim: absent is None; present, it must be a non-empty string (of ``pattern``)."""
    if name not in claims:
        return None
    value = claims[name]
    if not isinstance(value, str) or not value.strip() or (pattern and not pattern.fullmatch(value)):
        raise InvalidToken(f"claim {name} is not a valid value")
    return value


def _roles_claim(claims: dict[str, Any]) -> frozenset[Role]:
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidToken("claim roles is not a list of strings")
    return frozenset(Role(r) for r in roles if r in Role.__members__)  # unknown roles grant nothing


def principal_of(claims: dict[str, Any]) -> Principal:
    """The caller a verified token describes. City-wide only when neither county nor township is claimed;
    an empty, null or malformed code is an invalid token, never 'no restriction'."""
    subject = _text_claim(claims, "sub")
    if subject is None:
        raise InvalidToken("claim sub is required")
    county = _text_claim(claims, "county_code", COUNTY_CODE)
    township = _text_claim(claims, "township_code", TOWNSHIP_CODE)
    if township is not None:
        if county not in (None, township[:6]):
            raise InvalidToken("claim township_code is not in claim county_code")
        county = township[:6]  # a township is in its county
    scope_claim = claims.get("scope", "")
    if not isinstance(scope_claim, str):
        raise InvalidToken("claim scope is not a string")
    return Principal(
        subject=subject,
        roles=_roles_claim(claims),
        county_code=county,
        township_code=township,
        partner_id=_text_claim(claims, "partner_id"),
        scopes=frozenset(scope_claim.split()),
    )


class DevIssuer:
    """A local signing key (EC P-256) kept under .run/; mints tokens for development and tests only."""

    def __init__(self, folder: Path, audience: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        pem = folder / "dev-issuer.pem"
        if not pem.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            pem.chmod(0o600)
        loaded = serialization.load_pem_private_key(pem.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{pem} holds no EC private key")
        self._key = loaded
        self.audience = audience
        self.kid = "dev-" + uuid.uuid5(uuid.NAMESPACE_URL, pem.read_text()).hex[:12]

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [public | {"kid": self.kid, "use": "sig", "alg": "ES256"}]}

    def mint(
        self,
        subject: str,
        roles: list[str],
        *,
        county_code: str | None = None,
        township_code: str | None = None,
        partner_id: str | None = None,
        ttl: int = 3600,
        audience: str | None = None,
        issuer: str = DEV_ISSUER,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A signed token; ``extra`` sets further (or odd) claims verbatim, for tests of claim checks."""
        now = int(time.time())
        claims = {
            "sub": subject,
            "roles": roles,
            "iat": now,
            "exp": now + ttl,
            "iss": issuer,
            "aud": audience or self.audience,
            "jti": uuid.uuid4().hex,
        }
        claims.update(
            {
                k: v
                for k, v in (
                    ("county_code", county_code),
                    ("township_code", township_code),
                    ("partner_id", partner_id),
                )
                if v
            }
        )
        claims.update(extra or {})
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(issuer=DEV_ISSUER, audience=self.audience, jwks=self.jwks())
