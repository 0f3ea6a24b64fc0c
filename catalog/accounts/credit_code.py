"""Unified social credit codes (统一社会信用代码, GB 32100-2015) and their check digits."""

from __future__ import annotations

import re

# GB 32100 uses digits and upper-case letters without I, O, Z, S, V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_PATTERN = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$")


def check_character(first17: str) -> str:
    """Return the 18th character (the GB 32100 check character) for the first 17."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organization_check_character(body8: str) -> str:
    """Return the GB 11714 check character of a 9-character organization code body."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body8]
    remainder = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def is_valid(code: str) -> bool:
    """True when ``code`` is a well-formed unified social credit code with a correct check character."""
    if not isinstance(code, str) or not _PATTERN.match(code):
        return False
    return check_character(code[:17]) == code[17]


def make(registration: str, region: str, org_body8: str) -> str:
    """Build a valid code from its registration type (2 chars), region (6 digits) and org code body (8)."""
    first17 = registration + region + org_body8 + organization_check_character(org_body8)
    return first17 + check_character(first17)
