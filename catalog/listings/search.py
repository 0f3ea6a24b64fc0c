"""Public catalog lists come from the search index: filters, facets, sorting and paging in one query.

This module maps the filter names of pages and the API (``?license=…``) to index fields, labels the
index's facet counts for people, and loads the page's rows from the database in the index's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from catalog.accounts.models import Organization
from catalog.licences.models import Licence
from catalog.listings.filters import ListingFilters
from catalog.listings.states import is_public
from catalog.pagination import Page, T
from catalog.sectors.models import Sector
from catalog.vocabularies import label

# Filter name (URL and API) -> index field, per catalog; facets are reported under the filter name.
FIELDS: dict[str, dict[str, str]] = {
    "product": {
        "sector": "sector",
        "provider": "provider_id",
        "license": "licence",
        "type": "product_type",
        "delivery": "delivery_mode",
        "price_model": "price_model",
        "security": "security_grade",
        "frequency": "update_frequency",
        "quality": "quality_band",
    },
    "dataset": {
        "sector": "sector",
        "provider": "provider_id",
        "security": "security_grade",
        "sharing": "sharing",
        "frequency": "update_frequency",
    },
}

# Index field -> vocabulary of its labels (fields not here are labelled from their own tables).
VOCABULARIES = {
    "product_type": "product_type",
    "delivery_mode": "delivery_mode",
    "price_model": "price_model",
    "security_grade": "security_grade",
    "update_frequency": "update_frequency",
    "sharing": "sharing_condition",
}


def index_query(kind: str, filters: ListingFilters, *, facets: bool = True) -> dict[str, Any]:
    """Keyword arguments of ``SearchIndex.search`` for one page of ``filters`` in catalog ``kind``."""
    fields = FIELDS[kind]
    chosen = {fields[name]: getattr(filters, name) for name in fields}
    return {
        "text": filters.q,
        "kind": kind,
        "filters": {"status": [filters.status], **chosen},
        "facets": list(fields.values()) if facets else [],
        "sort": filters.sort,
        "offset": filters.offset,
        "limit": filters.per_page,
    }


def label_facets(
    session: Session, kind: str, counts: dict[str, list[tuple[str, int]]]
) -> dict[str, list[dict[str, Any]]]:
    """The index's ``{field: [(value, count)]}`` as ``{filter name: [{value, label, label_en, count}]}``."""
    names = {field: name for name, field in FIELDS[kind].items()}
    labels = _labels(session, counts)
    return {
        names[field]: [
            {
                "value": value,
                "label": labels.get((field, value), (value, value))[0],
                "label_en": labels.get((field, value), (value, value))[1],
                "count": count,
            }
            for value, count in values
        ]
        for field, values in counts.items()
    }


def _labels(
    session: Session, counts: dict[str, list[tuple[str, int]]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(field, value) -> (Chinese label, English label) for every value in ``counts``."""
    wanted = {field: [value for value, _ in values] for field, values in counts.items()}
    labels: dict[tuple[str, str], tuple[str, str]] = {}
    for field, (key, zh, en) in (
        ("sector", (col(Sector.slug), col(Sector.name), col(Sector.name_en))),
        ("provider_id", (col(Organization.slug), col(Organization.name), col(Organization.name_en))),
        ("licence", (col(Licence.code), col(Licence.name), col(Licence.name_en))),
    ):
        if wanted.get(field):
            rows = session.execute(select(key, zh, en).where(key.in_(wanted[field])))
            labels.update({(field, value): (name, name_en) for value, name, name_en in rows})
    for value in wanted.get("quality_band", []):
        labels[("quality_band", value)] = (f"{value} 级", f"Grade {value}")
    for field, vocabulary in VOCABULARIES.items():
        for value in wanted.get(field, []):
            labels[(field, value)] = (label(vocabulary, value, "zh"), label(vocabulary, value, "en"))
    return labels


def result_page(
    session: Session,
    kind: str,
    page_type: type[Page[T]],
    key_column: Any,
    summarize: Callable[[Session, list[Any]], list[T]],
    filters: ListingFilters,
    found: Any,
) -> Page[T]:
    """One page of a public catalog: what the index ``found`` for ``filters``, loaded from the database
    in the index's order, summarized, with the facets labelled."""
    rows = rows_in_order(session, key_column, [hit.key for hit in found.hits], filters.status)
    return page_type(
        total=found.total,
        page=filters.page,
        per_page=filters.per_page,
        items=summarize(session, rows),
        facets=label_facets(session, kind, found.facets),
        suggestion=found.suggestion,
        simplified=found.simplified,
    )


def rows_in_order(session: Session, key_column: Any, keys: Sequence[str], status: str) -> list[Any]:
    """The rows whose ``key_column`` is in ``keys``, in that order, still in ``status`` in the database
    (the index may be a moment behind a change)."""
    if not keys:
        return []
    model = key_column.class_
    # by key alone: with the status in the WHERE clause SQLite walks the status index instead
    rows = session.scalars(select(model).where(key_column.in_(keys)))
    by_key = {getattr(row, key_column.key): row for row in rows if row.status == status}
    return [by_key[k] for k in keys if k in by_key]


# --- search documents -----------------------------------------------------------------------------
def public_and_gone(
    session: Session, kind: str, model: Any, ids: Sequence[int] | None
) -> tuple[list[Any], list[str]]:
    """The public (listed or in publicity) rows of ``model`` among ``ids`` (all when None), which the
    index holds, and the index ids of the others (``kind:id``), which it must not hold."""
    query = select(model).order_by(model.id)  # in id order on every engine, as a rebuild numbers them
    if ids is not None:
        query = query.where(model.id.in_(ids))
    rows = session.scalars(query).all()
    return [r for r in rows if is_public(r)], [f"{kind}:{r.id}" for r in rows if not is_public(r)]


def common_document(kind: str, row: Any, summary: Any) -> dict[str, Any]:
    """The index fields of every listing's document, from its row and its public summary."""
    return {
        "id": f"{kind}:{row.id}",
        "kind": kind,
        "key": summary.id,
        "title": row.title,
        "title_en": row.title_en,
        "description": row.description,
        "provider": f"{summary.provider.name} {summary.provider.name_en}",
        "provider_id": summary.provider.id,
        "sector": [sector.id for sector in summary.sectors],
        "status": row.status,
        "security_grade": row.security_grade,
        "update_frequency": row.update_frequency,
        "listed_at": row.listed_at,
    }
