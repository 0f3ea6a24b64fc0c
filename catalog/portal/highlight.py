"""Marking the words of a query in a piece of text, for result snippets."""

from __future__ import annotations

import re

import rjieba
from markupsafe import Markup, escape

_WORD = re.compile(r"\w", re.UNICODE)


def query_words(query: str) -> list[str]:
    """The words of a query as the index segments them, longest first."""
    words = {w.strip() for w in rjieba.cut(query) if _WORD.search(w)}
    return sorted(words, key=len, reverse=True)


def highlight(text: str, words: list[str], limit: int | None = None) -> Markup:
    """``text`` escaped, cut to ``limit`` characters around the first match, with matches in ``<mark>``."""
    if limit and len(text) > limit:
        first = min((i for i in (text.lower().find(w.lower()) for w in words) if i >= 0), default=0)
        start = max(0, first - limit // 4)
        text = (
            ("…" if start else "") + text[start : start + limit] + ("…" if start + limit < len(text) else "")
        )
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
