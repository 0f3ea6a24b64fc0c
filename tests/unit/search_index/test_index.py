"""The search adapter on a real index on disk."""

import datetime as dt
from pathlib import Path

import pytest

from search_index import SearchIndex
from search_index.analysis import chinese_analyzer

DOCS = [
    {
        "id": "product:1",
        "kind": "product",
        "key": "bus-od",
        "title": "淮安市公交客流OD分析数据产品",
        "title_en": "Huai'an bus ridership origin-destination analysis",
        "summary": "服务公交线网优化",
        "sector": ["transport"],
        "provider_id": "jkzs",
        "listed_at": dt.datetime(2025, 3, 1),
    },
    {
        "id": "product:2",
        "kind": "product",
        "key": "crayfish",
        "title": "盱眙龙虾价格指数",
        "title_en": "Xuyi crayfish price index",
        "summary": "龙虾产地批发价格",
        "sector": ["agriculture"],
        "provider_id": "nxsj",
    },
    {
        "id": "dataset:3",
        "kind": "dataset",
        "key": "HA-JTJ-001",
        "title": "淮安市交通运输行业运行数据",
        "title_en": "Transport operations",
        "sector": ["transport"],
    },
]


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    index = SearchIndex.open(tmp_path / "index")
    index.upsert(DOCS, seq=7)
    return index


def keys(index: SearchIndex, text: str, **kwargs: object) -> list[str]:
    return [hit.key for hit in index.search(text, **kwargs).hits]  # type: ignore[arg-type]


def test_chinese_is_segmented_into_words_with_word_positions() -> None:
    tokens = [(t.text, t.pos) for t in chinese_analyzer()("淮安市公交客流", positions=True)]
    assert ("公交", 1) in tokens and ("客流", 2) in tokens
    assert ("淮安", 0) in tokens  # a sub-word shares its containing word's position


def test_chinese_word_finds_its_product(index: SearchIndex) -> None:
    assert keys(index, "公交", kind="product") == ["bus-od"]


@pytest.mark.parametrize("text", ["gongjiao", "gj", "longxia"])
def test_pinyin_and_initials_find_titles(index: SearchIndex, text: str) -> None:
    assert keys(index, text, kind="product")


def test_english_words_are_stemmed(index: SearchIndex) -> None:
    assert keys(index, "crayfish prices", kind="product") == ["crayfish"]


def test_quoted_chinese_phrase_matches_in_order_only(index: SearchIndex) -> None:
    assert keys(index, '"公交客流"') == ["bus-od"]
    assert keys(index, '"客流公交"') == []


@pytest.mark.parametrize("text", ["title:(", '"unclosed', "AND", "a" * 5000, "\x00\x01\x02", "(((", "*?~^"])
def test_malformed_queries_answer_without_error(index: SearchIndex, text: str) -> None:
    assert index.search(text).total >= 0


def test_filters_restrict_results(index: SearchIndex) -> None:
    assert keys(index, "淮安", filters={"sector": ["agriculture"]}) == []
    assert keys(index, "淮安", kind="dataset", filters={"sector": ["transport"]}) == ["HA-JTJ-001"]


def test_unknown_filter_is_refused(index: SearchIndex) -> None:
    with pytest.raises(ValueError, match="unknown filter"):
        index.search("淮安", filters={"colour": ["red"]})


def test_sequence_number_is_recorded_with_the_commit(index: SearchIndex, tmp_path: Path) -> None:
    assert index.last_applied_seq() == 7
    index.delete(["product:2"], seq=9)
    reopened = SearchIndex.open(tmp_path / "index")
    assert reopened.last_applied_seq() == 9
    assert reopened.keys("product") == {"bus-od"}


def test_rebuild_swaps_in_a_new_generation(index: SearchIndex, tmp_path: Path) -> None:
    rebuilt = index.rebuild(DOCS[1:2], seq=11)
    assert rebuilt.generation != index.generation
    reopened = SearchIndex.open(tmp_path / "index")
    assert reopened.generation == rebuilt.generation
    assert reopened.keys("product") == {"crayfish"} and reopened.last_applied_seq() == 11
