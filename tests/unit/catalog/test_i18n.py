"""Every message in the templates has a Chinese translation with the same placeholders."""

import re

from babel.messages.extract import extract_from_dir

from catalog import i18n
from catalog.settings import PROJECT_ROOT

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def template_messages() -> set[str]:
    found = extract_from_dir(
        str(PROJECT_ROOT / "templates"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def code_messages() -> set[str]:
    """Messages marked with ``N_`` in Python code: errors and field messages shown on pages."""
    found = extract_from_dir(
        str(PROJECT_ROOT / "catalog"), method_map=[("**.py", "python")], keywords={"N_": None}
    )
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def test_every_template_message_is_translated_to_chinese() -> None:
    messages = template_messages() | code_messages()
    assert any("password" in m for m in code_messages())
    assert len(messages) > 50
    missing = sorted(m for m in messages if m not in i18n.messages("zh"))
    assert missing == []


def test_translations_keep_their_placeholders() -> None:
    for source, translated in i18n.messages("zh").items():
        assert set(PLACEHOLDER.findall(source)) == set(PLACEHOLDER.findall(translated)), source
