"""The metadata quality score: full marks for a complete product, and each gap costs its criterion
with the advice that fixes it."""

from __future__ import annotations

from catalog.listings.quality import score

COMPLETE = {
    "title": "淮安市公交客流OD分析数据产品",
    "title_en": "Huai'an bus ridership origin-destination analysis",
    "summary": "按线路、站点和时段汇总的公交客流起讫分析",
    "summary_en": "Bus ridership by line, stop and hour",
    "description": "本产品基于公交IC卡刷卡与车载GPS数据，" * 20,
    "permitted_purpose": "线网优化、站点规划与客流研究",
    "usage_term_months": 12,
    "source_type": "authorized",
    "security_grade": "general",
    "update_frequency": "daily",
    "delivery_mode": "api",
    "product_type": "dataset",
    "license": "hadp-standard",
    "source_datasets": ["HA-JTJ-001"],
    "schema": [
        {"name": "line", "type": "string", "description": "线路编号"},
        {"name": "stop", "type": "string", "description": "站点编号"},
        {"name": "riders", "type": "integer", "description": "客流人次", "unit": "人次"},
    ],
    "price_model": "free",
    "tags": ["公交", "客流", "OD"],
    "scenarios": ["线网优化"],
}


def test_a_complete_product_scores_full_marks() -> None:
    report = score(COMPLETE)
    assert report.score == 100 and report.grade == "A"
    assert all(item.advice is None for item in report.items)


def test_each_gap_costs_its_criterion_and_says_what_to_do() -> None:
    cases = {
        "description": {"description": "公交客流数据"},
        "schema": {"schema": []},
        "access": {"price_model": "per_call", "price": None},
        "discoverability": {"tags": ["公交"]},
        "bilingual": {"title_en": ""},
    }
    for key, change in cases.items():
        report = score({**COMPLETE, **change})
        item = next(i for i in report.items if i.key == key)
        assert item.points < item.maximum and item.advice, key
        assert report.score == 100 - (item.maximum - item.points) - (key == "bilingual") * 2, (
            key
        )  # title_en is in the manual too


def test_an_api_product_needs_its_input_and_output_fields() -> None:
    api = {**COMPLETE, "product_type": "api"}
    assert next(i for i in score(api).items if i.key == "schema").points == 8
    full = {**api, "input_fields": [{"name": "date"}], "output_fields": [{"name": "riders"}]}
    assert next(i for i in score(full).items if i.key == "schema").points == 15


def test_sources_outside_the_authorized_catalog_lower_the_lineage() -> None:
    assert next(i for i in score(COMPLETE, unlisted_sources=1).items if i.key == "lineage").points == 7
    assert score({**COMPLETE, "source_datasets": []}).grade == "B"
