"""Field types shared by the validated input models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints


def _scalar_to_str(value: Any) -> Any:
    # YAML and JSON give numbers for words like 12345 or 9610; they are words here.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Word = Annotated[
    str,
    BeforeValidator(_scalar_to_str),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
]
