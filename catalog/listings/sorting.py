"""The title sort key: Chinese titles sort by their pinyin, as a Chinese reader expects (安 before 北)."""

from __future__ import annotations

from pypinyin import lazy_pinyin


def sort_key(title: str) -> str:
    """``淮安公交`` -> ``huai an gong jiao``; Latin letters and digits keep their place, lower-cased."""
    return " ".join(lazy_pinyin(title.strip())).lower()
