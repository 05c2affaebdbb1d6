"""Token forgery is refused: bad signature, alg none, expired, another audience or issuer."""

import base64
import json
import time

import jwt
import pytest

from shared.auth import DEV_ISSUER, DevIssuer, InvalidToken, Principal, Role


@pytest.fixture
def issuer(tmp_path):
    return DevIssuer(tmp_path, audience="assistance")


def test_a_minted_token_becomes_a_principal_with_roles_and_jurisdiction(issuer):
    token = issuer.mint("clerk-1", ["intake_clerk"], county_code="140302", township_code="140302001")
    principal = issuer.verifier().verify(token)
    assert principal.subject == "clerk-1" and principal.has(Role.intake_clerk)
    assert principal.covers("140302", "140302001") and not principal.covers("140302", "140302002")
    assert not principal.covers("140303")


def test_county_and_city_staff_see_their_whole_area():
    county = Principal("c", frozenset({Role.county_approver}), county_code="140302")
    city = Principal("x", frozenset({Role.auditor}))
    assert county.covers("140302", "140302005") and not county.covers("140311", "140311100")
    assert city.covers("140322", "140322100")


def test_a_token_signed_by_another_key_is_refused(issuer, tmp_path):
    other = DevIssuer(tmp_path / "other", audience="assistance")
    forged = other.mint("mallory", ["county_approver"])
    forged = jwt.encode(
        jwt.decode(forged, options={"verify_signature": False}),
        other._key,
        algorithm="ES256",
        headers={"kid": issuer.kid},
    )
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(forged)


def test_an_unsigned_alg_none_token_is_refused(issuer):
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    unsigned = (
        b64({"alg": "none", "typ": "JWT", "kid": issuer.kid})
        + "."
        + b64(
            {
                "sub": "mallory",
                "roles": ["auditor"],
                "iss": DEV_ISSUER,
                "aud": "assistance",
                "iat": now,
                "exp": now + 60,
            }
        )
        + "."
    )
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(unsigned)


def test_an_expired_token_is_refused(issuer):
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verifier().verify(issuer.mint("late", ["auditor"], ttl=-120))


def test_a_token_for_another_audience_or_issuer_is_refused(issuer):
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(issuer.mint("x", ["auditor"], audience="another-system"))
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(issuer.mint("x", ["auditor"], issuer="https://evil.example"))


def test_a_verified_token_is_reused_briefly_and_never_past_its_expiry(issuer, monkeypatch):
    verifier = issuer.verifier()
    token = issuer.mint("clerk-2", ["intake_clerk"])
    first = verifier.verify(token)
    checks: list[str] = []
    real = verifier._verify
    monkeypatch.setattr(verifier, "_verify", lambda t: checks.append(t) or real(t))
    assert verifier.verify(token) is first and checks == [], "the same token again: no second check"
    other = issuer.mint("clerk-3", ["intake_clerk"])
    assert verifier.verify(other).subject == "clerk-3" and checks == [other], "another token: checked"
    # expired 10 s ago: still inside the 30 s leeway, so it verifies, but it is never taken from the cache
    late = issuer.mint("clerk-4", ["intake_clerk"], ttl=-10)
    verifier.verify(late)
    verifier.verify(late)
    assert checks[-2:] == [late, late]
    # a minute on, the first token is checked again
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    verifier.verify(token)
    assert checks[-1] == token
