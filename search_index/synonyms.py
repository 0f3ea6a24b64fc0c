"""The domain synonym list (``synonyms.txt``), kept as data beside the code.

Every word of every group is added to the segmenter's dictionary when this module is imported, so
multi-character synonyms (市民热线, 充电设施) are indexed and queried as single words. A query word that
belongs to a group is searched as any word of its group.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import rjieba

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")


def read_groups(path: Path = SYNONYMS_FILE) -> list[tuple[str, ...]]:
    """Groups of equivalent words, one per non-comment line."""
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = tuple(dict.fromkeys(w.lower() for w in line.split("#", 1)[0].split()))
        if len(words) > 1:
            groups.append(words)
    return groups


@cache
def synonym_map() -> dict[str, tuple[str, ...]]:
    """Each word to the words of its group (itself first); a word in two groups gets both."""
    found: dict[str, list[str]] = {}
    for group in read_groups():
        for word in group:
            found.setdefault(word, [word]).extend(w for w in group if w not in found[word])
    return {word: tuple(words) for word, words in found.items()}


def _register_words() -> None:
    for word in synonym_map():
        if not rjieba.has_word(word):
            rjieba.add_word(word, rjieba.suggest_freq(word), None)


_register_words()
