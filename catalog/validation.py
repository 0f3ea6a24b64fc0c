"""Field types shared by the validated input models."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, StringConstraints, ValidationError

from catalog.errors import Invalid
from catalog.i18n import N_

M = TypeVar("M", bound=BaseModel)


def _scalar_to_str(value: Any) -> Any:
    # YAML and JSON give numbers for words like 12345 or 9610; they are words here.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Word = Annotated[
    str,
    BeforeValidator(_scalar_to_str),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
]


# Pydantic's error types as messages a person can act on (translated where they are shown).
FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This is too short."),
    "string_too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("This is not in the expected format."),
    "int_parsing": N_("Enter a whole number."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "string_type": N_("Enter text here."),
}


JSON_DEPTH = 64  # arrays and objects inside one another: no input of the catalog needs a tenth of it


class JsonTooDeep(ValueError):
    """JSON nested deeper than ``JSON_DEPTH``."""


def load_json(data: str | bytes) -> Any:
    """``json.loads(data)`` (raising its ``JSONDecodeError`` on what is not JSON), refusing with
    ``JsonTooDeep`` arrays and objects nested deeper than ``JSON_DEPTH``: what then reads the input
    recursively (the NUL check, pydantic, the ODRL check) never runs out of stack. Every JSON the
    catalog is sent is read through here."""
    try:
        value = json.loads(data)
    except RecursionError:  # thousands deep: json itself ran out of stack
        raise JsonTooDeep(f"JSON nested more than {JSON_DEPTH} deep") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth > JSON_DEPTH:
            raise JsonTooDeep(f"JSON nested more than {JSON_DEPTH} deep")
        stack.extend((child, depth + 1) for child in children)
    return value


def holds_nul(value: Any) -> bool:
    """Whether some text in ``value`` (text, or lists and objects of it, keys included) holds the NUL
    character, which no text needs and PostgreSQL can neither store nor compare."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    return False


def parse(model: type[M], data: Any) -> M:
    """Validate form or JSON input into ``model``; ``Invalid`` with a message per field on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in e["loc"]) or "body": FIELD_MESSAGES.get(
                e["type"], e["msg"].removeprefix("Value error, ")
            )
            for e in exc.errors()
        }
        raise Invalid(N_("Please correct the marked fields."), fields=fields) from None
