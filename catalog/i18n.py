"""Languages: Chinese by default, English on request. Messages live in Babel (gettext) catalogs.

Template text is written in English and translated through ``catalog/locale/zh/LC_MESSAGES/messages.po``;
the language of a request comes from ``?lang=``, then the ``lang`` cookie, then the configured default.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from starlette.requests import Request

LANGUAGES = ("zh", "en")
LANGUAGE_COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

current_language: ContextVar[str] = ContextVar("current_language", default="zh")


@cache
def messages(language: str) -> dict[str, str]:
    """The translated messages of ``language`` (English is the source language: none)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    found: dict[str, str] = {}
    for m in catalog:
        if not m.id or not m.string or m.fuzzy:
            continue
        if isinstance(m.id, tuple):  # singular and plural: Chinese has one form for both
            forms = list(m.string)
            for n, source in enumerate(m.id):
                found[source] = forms[min(n, len(forms) - 1)] or forms[0]
        else:
            found[str(m.id)] = str(m.string)
    return found


def N_(message: str) -> str:
    """Marks a message in Python code for translation where it is shown (templates translate it)."""
    return message


def gettext(message: str) -> str:
    return messages(current_language.get()).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` (English: one and other; Chinese: one form)."""
    return gettext(singular if n == 1 else plural)


def requested_language(request: Request, default: str) -> tuple[str, bool]:
    """The request's language, and whether it was asked for explicitly (and should be remembered)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie, False
    return default, False
