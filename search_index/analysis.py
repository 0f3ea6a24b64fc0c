"""Analysis: Chinese word segmentation (rjieba), English stemming, pinyin for titles.

Positions are word positions, and the sub-words of a long word share their containing word's
position, so quoted phrases match in Chinese too (jieba's own whoosh analyzer uses character offsets
as positions, which breaks every phrase query). Sub-words are indexed, not queried: a query word is
looked up as the whole word, which the index holds whether it stood alone or inside a longer word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import rjieba
from whoosh.analysis import Filter, LowercaseFilter, Token, Tokenizer
from whoosh.lang.porter import stem

from search_index import synonyms  # noqa: F401  (adds the synonym words to the segmenter's dictionary)

_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"\w", re.UNICODE)


def _is_word(text: str) -> bool:
    return bool(_WORD.search(text))


@lru_cache(maxsize=65536)
def _sub_words(word: str) -> tuple[tuple[str, int, int], ...]:
    """The dictionary words inside a Chinese word of three or more characters."""
    if len(word) < 3 or not _HAN.search(word):
        return ()
    return tuple(
        (word[start:end], start, end)
        for start in range(len(word) - 1)
        for end in range(start + 2, min(len(word), start + 8) + 1)
        if end - start < len(word) and rjieba.has_word(word[start:end])
    )


def split_word(word: str) -> list[str]:
    """A long Chinese query word as the dictionary words that cover it, longest first from the left
    (交易价格 -> 交易, 价格): for a query word the documents segmented differently (交易 / 价格指数).
    Empty when the word has no smaller dictionary words."""
    pieces: list[str] = []
    inside = _sub_words(word)
    start = 0
    while start < len(word):
        longest = max((w for w, a, _ in inside if a == start), key=len, default=word[start])
        pieces.append(longest)
        start += len(longest)
    return pieces if len(pieces) > 1 and any(len(p) > 1 for p in pieces) else []


class ChineseTokenizer(Tokenizer):  # type: ignore[misc]  # whoosh has no type hints: its classes are Any to mypy
    """Segments mixed Chinese/English text into words with word positions."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = unicodedata.normalize("NFKC", value)
        pos = start_pos
        querying = mode == "query"
        for word, start, end in rjieba.tokenize(text):
            if not _is_word(word):
                continue
            for text_, s, e in (
                (word, start, end),
                *(() if querying else ((w, start + a, start + b) for w, a, b in _sub_words(word))),
            ):
                token.text = text_
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = text_
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + s
                    token.endchar = start_char + e
                yield token
            pos += 1


def syllables(word: str, *, initials: bool = False, errors: str = "default") -> list[str]:
    """The pinyin of ``word``, one item per syllable (its first letters only with ``initials``).
    pypinyin loads its phrase dictionary (half a second) on first use, not when the index is imported:
    commands that never segment a title do not pay for it."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(word, style=Style.FIRST_LETTER if initials else Style.NORMAL, errors=errors)


@lru_cache(maxsize=65536)
def _pinyin(word: str) -> tuple[str, str]:
    full = "".join(syllables(word, errors="ignore"))
    initials = "".join(syllables(word, initials=True, errors="ignore"))
    return full.lower(), initials.lower()


@lru_cache(maxsize=65536)
def _syllables(word: str) -> str:
    return " ".join(syllables(word)).lower()


def title_sort_key(title: str) -> str:
    """Chinese titles sort by pinyin, as Chinese readers expect: ``淮安公交`` -> ``huai an gong jiao``."""
    return " ".join(_syllables(word) for word in rjieba.cut(unicodedata.normalize("NFKC", title).strip()))


class PinyinFilter(Filter):  # type: ignore[misc]  # whoosh has no type hints: its classes are Any to mypy
    """Replaces each Chinese word with its full pinyin and its initials, at the word's position."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not _HAN.search(token.text):
                yield token
                continue
            full, initials = _pinyin(token.text)
            # the index holds both forms at one position; a query word needs only its full pinyin
            for text in (full,) if token.mode == "query" else dict.fromkeys((full, initials)):
                if text:
                    token.text = text
                    yield token


_stem = lru_cache(maxsize=100000)(stem)


class EnglishStemFilter(Filter):  # type: ignore[misc]  # whoosh has no type hints: its classes are Any to mypy
    """Porter-stems Latin words; Chinese words and numbers pass through at no cost."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if token.text.isascii() and not token.text.isdigit():
                token.text = _stem(token.text)
            yield token


def chinese_analyzer() -> Any:
    """Chinese segmentation, lower-casing and English stemming."""
    return ChineseTokenizer() | LowercaseFilter() | EnglishStemFilter()


def pinyin_analyzer() -> Any:
    """Title words as full pinyin and initials, so ``jiaotong`` and ``jt`` both find 交通."""
    return ChineseTokenizer() | LowercaseFilter() | PinyinFilter()
