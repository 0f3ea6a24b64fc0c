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
    messages: set[str] = set()
    for _file, _line, message, _comments, _context in found:
        # ngettext's singular and plural (None for a form given as a variable, as in format strings)
        messages.update(message if isinstance(message, tuple) else [message])
    return {message for message in messages if isinstance(message, str)}


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


def test_counted_messages_take_their_english_form_by_the_count() -> None:
    token = i18n.current_language.set("en")
    try:
        assert i18n.ngettext("%(n)s view", "%(n)s views", 1) == "%(n)s view"
        assert i18n.ngettext("%(n)s view", "%(n)s views", 2) == "%(n)s views"
    finally:
        i18n.current_language.reset(token)
    assert "%(n)s view" in template_messages() and "%(n)s views" in template_messages()
    assert i18n.messages("zh")["%(n)s view"] == i18n.messages("zh")["%(n)s views"]


def test_translations_keep_their_placeholders() -> None:
    for source, translated in i18n.messages("zh").items():
        assert set(PLACEHOLDER.findall(source)) == set(PLACEHOLDER.findall(translated)), source
