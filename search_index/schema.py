"""The index schema: searchable text fields with boosts, and stored keyword fields for filters."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

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

# Filters: each is a stored keyword field holding one value, or several for ``sector``.
FILTER_FIELDS = (
    "sector",
    "provider_id",
    "licence",
    "product_type",
    "delivery_mode",
    "price_model",
    "security_grade",
    "update_frequency",
)

META_ID = "__meta__"


def build_schema() -> Schema:
    """A new schema instance (analyzers are pickled into the index, so they live in this package)."""
    cn = chinese_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        key=ID(stored=True),
        title=TEXT(analyzer=cn, stored=True, field_boost=SEARCH_FIELDS["title"]),
        title_en=TEXT(analyzer=cn, stored=True, field_boost=SEARCH_FIELDS["title_en"]),
        title_pinyin=TEXT(analyzer=pinyin_analyzer(), field_boost=SEARCH_FIELDS["title_pinyin"]),
        summary=TEXT(analyzer=cn, stored=True, field_boost=SEARCH_FIELDS["summary"]),
        description=TEXT(analyzer=cn, stored=True, field_boost=SEARCH_FIELDS["description"]),
        tags=TEXT(analyzer=cn, field_boost=SEARCH_FIELDS["tags"]),
        scenarios=TEXT(analyzer=cn, field_boost=SEARCH_FIELDS["scenarios"]),
        provider=TEXT(analyzer=cn, field_boost=SEARCH_FIELDS["provider"]),
        sources=TEXT(analyzer=cn, field_boost=SEARCH_FIELDS["sources"]),
        sector=KEYWORD(stored=True, commas=True),
        provider_id=ID(stored=True),
        licence=ID(stored=True),
        product_type=ID(stored=True),
        delivery_mode=ID(stored=True),
        price_model=ID(stored=True),
        security_grade=ID(stored=True),
        update_frequency=ID(stored=True),
        listed_at=DATETIME(stored=True, sortable=True),
        seq=NUMERIC(stored=True, bits=64),
        extra=STORED(),
    )
