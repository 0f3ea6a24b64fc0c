"""The site settings' validation: each value is checked before it is stored."""

from __future__ import annotations

import pytest

from catalog.site_settings.services import FIELDS, _parse


@pytest.mark.parametrize(
    ("key", "raw", "ok"),
    [
        ("target_products", "300", True),
        ("target_products", "0", False),
        ("target_products", "3.5", False),
        ("target_deadline", "2027-12-31", True),
        ("target_deadline", "2027/12/31", False),
        ("price_cap_per_call", "1.5", True),
        ("price_cap_per_call", "-1", False),
        ("price_cap_per_call", "NaN", False),
        ("price_cap_per_call", "一元", False),
    ],
)
def test_site_settings_are_checked(key: str, raw: str, ok: bool) -> None:
    field = next(f for f in FIELDS if f.key == key)
    if ok:
        _parse(field, raw)
    else:
        with pytest.raises(ValueError):
            _parse(field, raw)
