"""The metadata quality score of a product: explainable, out of 100, with what to improve.

Each criterion gives points up to its maximum and, when short of it, the advice that would earn the
rest. The weights favour what an enterprise needs to decide whether to request the data:

| criterion | points | full marks when |
|---|---|---|
| listing manual | 25 | every field of the 可交易数据产品说明书 is filled in |
| description | 15 | at least 300 characters on what, where from, how processed, how to use |
| field schema | 15 | three or more described fields (API products: input and output fields too) |
| access and price | 15 | permitted purpose stated, licence chosen, price model consistent with its price |
| lineage | 15 | every source dataset is listed in the authorized-operation catalog |
| discoverability | 10 | three or more tags and at least one application scenario |
| bilingual | 5 | English title and English summary or description |

Grades: A from 85, B from 60, C below. The same function scores drafts (for owners while editing),
submissions (for reviewers) and listed products (a filter and a sort of the public catalog).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from catalog.i18n import N_

DESCRIPTION_CHARS = 300
MANUAL_FIELDS = (
    "title_en",
    "summary",
    "description",
    "permitted_purpose",
    "usage_term_months",
    "source_type",
    "security_grade",
    "update_frequency",
    "delivery_mode",
    "product_type",
    "license",
    "source_datasets",
)
GRADES = (("A", 85), ("B", 60), ("C", 0))


class QualityItem(BaseModel):
    key: str
    label: str
    points: int
    maximum: int
    advice: str | None = None


class QualityReport(BaseModel):
    score: int
    grade: str
    items: list[QualityItem]


def grade(score: int) -> str:
    return next(letter for letter, floor in GRADES if score >= floor)


def score(product: dict[str, Any], unlisted_sources: int = 0) -> QualityReport:
    """Score a product given as ``ProductCreate`` input (``products.services.product_input``);
    ``unlisted_sources`` counts source datasets not listed in the authorized-operation catalog."""
    items = [
        _manual(product),
        _description(product),
        _schema(product),
        _access(product),
        _lineage(product, unlisted_sources),
        _discoverability(product),
        _bilingual(product),
    ]
    total = sum(i.points for i in items)
    return QualityReport(score=total, grade=grade(total), items=items)


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {}) and not (isinstance(value, str) and not value.strip())


def _manual(p: dict[str, Any]) -> QualityItem:
    present = sum(_filled(p.get(name)) for name in MANUAL_FIELDS)
    points = round(25 * present / len(MANUAL_FIELDS))
    advice = None if present == len(MANUAL_FIELDS) else N_("Fill in every field of the listing manual.")
    return QualityItem(
        key="manual", label=N_("Listing manual complete"), points=points, maximum=25, advice=advice
    )


def _description(p: dict[str, Any]) -> QualityItem:
    length = len((p.get("description") or "").strip())
    points = min(15, round(15 * length / DESCRIPTION_CHARS))
    advice = (
        None
        if points == 15
        else N_("In 300 characters or more: what the data is, its source, its processing and how to use it.")
    )
    return QualityItem(key="description", label=N_("Description"), points=points, maximum=15, advice=advice)


def _schema(p: dict[str, Any]) -> QualityItem:
    described = [f for f in p.get("schema") or [] if _filled(f.get("description"))]
    points = 15 if len(described) >= 3 else 8 if described else 0
    advice = (
        None if points == 15 else N_("Describe three or more fields of the data (name, type, meaning, unit).")
    )
    if p.get("product_type") == "api" and not (p.get("input_fields") and p.get("output_fields")):
        points = max(0, points - 7)
        advice = N_("An API product states its input and output fields.")
    return QualityItem(key="schema", label=N_("Field schema"), points=points, maximum=15, advice=advice)


def _access(p: dict[str, Any]) -> QualityItem:
    points = 0
    points += 5 if len((p.get("permitted_purpose") or "").strip()) >= 10 else 0
    points += 5 if _filled(p.get("license")) else 0
    model = p.get("price_model")
    priced = model in ("per_call", "subscription", "one_time")
    clear = (priced and _filled(p.get("price")) and _filled(p.get("price_unit"))) or model in (
        "free",
        "negotiated",
    )
    points += 5 if clear else 0
    advice = (
        None
        if points == 15
        else N_("State the permitted purpose, the licence and a price that fits the price model.")
    )
    return QualityItem(
        key="access", label=N_("Access conditions and price"), points=points, maximum=15, advice=advice
    )


def _lineage(p: dict[str, Any], unlisted: int) -> QualityItem:
    sources = p.get("source_datasets") or []
    points = 0 if not sources else 15 if unlisted == 0 else 7
    advice = (
        None
        if points == 15
        else N_("Derive the product from datasets listed in the authorized-operation catalog.")
    )
    return QualityItem(key="lineage", label=N_("Lineage"), points=points, maximum=15, advice=advice)


def _discoverability(p: dict[str, Any]) -> QualityItem:
    points = (5 if len(p.get("tags") or []) >= 3 else 0) + (5 if p.get("scenarios") else 0)
    advice = None if points == 10 else N_("Add three or more tags and at least one application scenario.")
    return QualityItem(
        key="discoverability", label=N_("Tags and scenarios"), points=points, maximum=10, advice=advice
    )


def _bilingual(p: dict[str, Any]) -> QualityItem:
    english = _filled(p.get("title_en")) and (
        _filled(p.get("summary_en")) or _filled(p.get("description_en"))
    )
    advice = None if english else N_("Add an English title and an English summary for foreign enterprises.")
    return QualityItem(
        key="bilingual", label=N_("English version"), points=5 if english else 0, maximum=5, advice=advice
    )
