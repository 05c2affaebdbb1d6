"""Mainland resident ID numbers (GB 11643-1999): 6-digit area, 8-digit birth date, 3-digit sequence, check."""

from __future__ import annotations

from datetime import date

from shared import clock

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class InvalidIdNumber(ValueError):
    pass


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate(number: str, *, today: date | None = None) -> str:
    """Return the normalised number (upper-case X) or raise InvalidIdNumber saying what is wrong."""
    value = number.strip().upper()
    if len(value) != 18:
        raise InvalidIdNumber("resident ID number must have 18 characters")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber("resident ID number must be 17 digits and a digit or X")
    try:
        born = birth_date(value)
    except ValueError as exc:
        raise InvalidIdNumber("resident ID number has an impossible birth date") from exc
    if born > (today or clock.local_today()) or born.year < 1880:
        raise InvalidIdNumber("resident ID number has a birth date in the future or before 1880")
    if check_character(value[:17]) != value[17]:
        raise InvalidIdNumber("resident ID number check character is wrong (GB 11643 MOD 11-2)")
    return value


def mask(number: str) -> str:
    """140302********1234: keep the area code and the last four, as in published disclosures."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)


def mask_name(name: str) -> str:
    """张*明 / 张*: keep the first and (for 3+ characters) the last character."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_account(account: str) -> str:
    return "*" * max(len(account) - 4, 0) + account[-4:]
