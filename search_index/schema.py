"""The index schema: searched text fields with boosts, and one packed column for filters and sorting."""

from __future__ import annotations

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, NUMERIC, TEXT, Schema

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
)

SORTS = ("relevance", "newest", "oldest", "title", "requests")

META_ID = "__meta__"


def build_schema() -> Schema:
    """A new schema instance (analyzers are pickled into the index, so they live in this package)."""
    cn = chinese_analyzer()
    text = {
        name: TEXT(analyzer=cn, field_boost=boost, phrase=name in PHRASE_FIELDS)
        for name, boost in SEARCH_FIELDS.items()
    }
    text["title_pinyin"] = TEXT(
        analyzer=pinyin_analyzer(), field_boost=SEARCH_FIELDS["title_pinyin"], phrase=False
    )
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        key=ID(stored=True),
        seq=NUMERIC(stored=True, bits=64),
        row=COLUMN(VarBytesColumn()),
        **text,
    )
