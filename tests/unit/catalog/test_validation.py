"""Reading JSON input: every door reads it through ``validation.load_json``."""

from __future__ import annotations

import json

import pytest

from catalog.validation import JSON_DEPTH, JsonTooDeep, holds_nul, load_json


def nested(depth: int, inner: str = "1") -> str:
    """``depth`` arrays and objects inside one another around ``inner``."""
    text = inner
    for level in range(depth):
        text = f"[{text}]" if level % 2 else f'{{"k": {text}}}'
    return text


def test_json_as_deep_as_the_limit_is_read_as_json_reads_it() -> None:
    text = nested(JSON_DEPTH, '"a\\u0000b"')
    value = load_json(text)
    assert value == json.loads(text) and holds_nul(value)  # the recursive checks read it whole


@pytest.mark.parametrize("depth", [JSON_DEPTH + 1, 900, 100_000])
def test_json_nested_deeper_is_refused_with_its_own_error(depth: int) -> None:
    with pytest.raises(JsonTooDeep):
        load_json(nested(depth))


def test_what_is_not_json_still_raises_jsons_own_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        load_json(b"{not json")
