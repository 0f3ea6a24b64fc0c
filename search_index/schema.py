"""The index schema: searched text fields with boosts, and one packed column for filters and sorting."""

from __future__ import annotations

from whoosh.codec.whoosh3 import W3Codec
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, NUMERIC, TEXT, Schema
from whoosh.formats import Existence

from search_index.analysis import chinese_analyzer, pinyin_analyzer

# Fields a plain query searches, with their weight (title first).
SEARCH_FIELDS: dict[str, float] = {
    "title": 6.0,
    "title_en": 4.0,
    "title_pinyin": 2.5,
    "tags": 2.5,
    "summary": 2.0,
    "scenarios": 1.5,
    "provider": 1.5,
    "sources": 1.0,
    "description": 1.0,
}

# Fields that keep word positions, so quoted phrases match in them (positions cost index time).
PHRASE_FIELDS = ("title", "title_en", "summary", "description")

# Fields whose words "did you mean" draws its corrections from.
SUGGEST_FIELDS = ("title", "title_en", "title_pinyin", "tags")

# Filters and facets: each holds one value per document, or several (a list) for ``sector``.
FILTER_FIELDS = (
    "status",
    "sector",
    "provider_id",
    "licence",
    "product_type",
    "delivery_mode",
    "price_model",
    "security_grade",
    "update_frequency",
    "sharing",
    "quality_band",  # appended last: rows packed before it read as empty
)

SORTS = ("relevance", "newest", "oldest", "title", "requests", "quality")

META_ID = "__meta__"


class Codec(W3Codec):  # type: ignore[misc]  # whoosh has no type hints: its classes are Any to mypy
    """Whoosh's codec without per-document field lengths: scoring here uses neither them nor term
    frequencies (``query.Evaluation``), and writing them cost a sixth of the index build."""

    length_stats = False


def _text(analyzer: object, name: str) -> TEXT:
    """A searched field: positions where phrases need them, otherwise presence only; never BM25-scored."""
    field = TEXT(analyzer=analyzer, field_boost=SEARCH_FIELDS[name], phrase=name in PHRASE_FIELDS)
    if name not in PHRASE_FIELDS:
        field.format = Existence(field_boost=SEARCH_FIELDS[name])
    field.scorable = False
    return field


def build_schema() -> Schema:
    """A new schema instance (analyzers are pickled into the index, so they live in this package)."""
    cn = chinese_analyzer()
    text = {name: _text(cn, name) for name in SEARCH_FIELDS}
    text["title_pinyin"] = _text(pinyin_analyzer(), "title_pinyin")
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        key=ID(stored=True),
        seq=NUMERIC(stored=True, bits=64),
        row=COLUMN(VarBytesColumn()),
        **text,
    )
