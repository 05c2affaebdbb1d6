"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015): 18 characters — the registration authority
(1), the organisation type (1), the administrative division (6 digits), the organisation code (9) and a
check character computed over the first 17 with weights 3^i mod 31 in the code's 31-character alphabet
(digits and capitals without I, O, Z, S, V)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The 18th character of a code whose first 17 are ``first17``."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """What is wrong with a USCC, or None (the registry answers 422 naming ``uscc``)."""
    if len(code) != 18:
        return "a 统一社会信用代码 has 18 characters (GB 32100-2015)"
    bad = sorted({c for c in code if c not in VALUE})
    if bad:
        return f"characters {''.join(bad)!r} are not in the code's alphabet (no I, O, Z, S, V, no lower case)"
    if not code[2:8].isdigit():
        return "characters 3-8 are the administrative division code: six digits"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"the check character is wrong (GB 32100-2015: expected {expected})"
    return None
