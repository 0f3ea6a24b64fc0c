"""The search adapter on a real index on disk."""

import datetime as dt
import gc
from pathlib import Path

import pytest

from search_index import SearchIndex
from search_index.analysis import chinese_analyzer
from search_index.index import IndexDamaged

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


MORE = [
    {
        "id": f"product:{n}",
        "kind": "product",
        "key": f"p{n}",
        "title": title,
        "title_en": title_en,
        "summary": summary,
        "sector": sectors,
        "provider_id": provider,
        "product_type": kind,
        "status": status,
        "requests": requests,
        "listed_at": dt.datetime(2025, 1, n),
    }
    for n, title, title_en, summary, sectors, provider, kind, status, requests in [
        (
            10,
            "公共交通客流日报",
            "Public transport ridership daily",
            "公交刷卡",
            ["transport"],
            "jkzs",
            "dataset",
            "listed",
            3,
        ),
        (
            11,
            "企业用电指数",
            "Enterprise power index",
            "企业用电",
            ["industry", "finance"],
            "sjgyy",
            "report",
            "listed",
            9,
        ),
        (
            12,
            "12345市民热线工单分析",
            "Citizen hotline tickets",
            "工单",
            ["government"],
            "sjj",
            "dataset",
            "listed",
            0,
        ),
        (
            13,
            "安东公交线网评估",
            "Bus network review",
            "公交线路",
            ["transport"],
            "jkzs",
            "report",
            "publicity",
            1,
        ),
    ]
]


@pytest.fixture
def catalog(tmp_path: Path) -> SearchIndex:
    index = SearchIndex.open(tmp_path / "catalog")
    index.upsert(MORE, seq=1)
    return index


def test_synonyms_find_the_other_word_of_their_group(catalog: SearchIndex) -> None:
    assert keys(catalog, "公交", kind="product", filters={"status": ["listed"]}) == [
        "p10"
    ]  # text says 公共交通
    assert keys(catalog, "政务热线") == ["p12"]  # text says 12345市民热线


def test_facets_count_each_value_and_ignore_their_own_filter(catalog: SearchIndex) -> None:
    found = catalog.search(
        "", filters={"status": ["listed"], "sector": ["transport"]}, facets=["sector", "product_type"]
    )
    assert found.total == 1
    assert dict(found.facets["sector"]) == {"transport": 1, "industry": 1, "finance": 1, "government": 1}
    assert dict(found.facets["product_type"]) == {"dataset": 1}
    for value, count in found.facets["sector"]:
        assert catalog.search("", filters={"status": ["listed"], "sector": [value]}).total == count


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["p12", "p11", "p10"]),
        ("oldest", ["p10", "p11", "p12"]),
        ("requests", ["p11", "p10", "p12"]),
        ("title", ["p12", "p10", "p11"]),  # 12345…, gong gong jiao tong…, qi ye…
    ],
)
def test_sorts_order_the_whole_result(catalog: SearchIndex, sort: str, expected: list[str]) -> None:
    assert keys(catalog, "", filters={"status": ["listed"]}, sort=sort) == expected


def test_paging_returns_consecutive_slices(catalog: SearchIndex) -> None:
    first = keys(catalog, "", sort="newest", limit=2)
    second = keys(catalog, "", sort="newest", offset=2, limit=2)
    assert first == ["p13", "p12"] and second == ["p11", "p10"]


def test_a_title_match_outranks_a_summary_match(catalog: SearchIndex) -> None:
    assert keys(catalog, "用电 OR 工单")[:2] in (["p11", "p12"], ["p12", "p11"])
    assert (
        keys(catalog, "公交", filters={"status": ["listed", "publicity"]})[0] == "p13"
    )  # title, then p10 (synonym)


def test_a_query_with_no_hits_gets_a_suggestion_that_has_hits(catalog: SearchIndex) -> None:
    found = catalog.search("企叶用电")  # 企叶 is a pinyin typo of 企业
    assert found.total == 0 or found.suggestion is None
    typo = catalog.search("gongjaio")
    assert typo.total == 0 and typo.suggestion == "gongjiao"
    assert catalog.search(typo.suggestion).total > 0


@pytest.mark.parametrize("text", ["OR 公交", "公交 AND", "公交 OR", "ANDMAYBE 公交"])
def test_dangling_operators_are_dropped(catalog: SearchIndex, text: str) -> None:
    assert keys(catalog, text, filters={"status": ["listed"]}) == ["p10"]


def test_not_excludes(catalog: SearchIndex) -> None:
    assert set(keys(catalog, "NOT 公交")) == {"p11", "p12"}


def test_text_that_is_only_syntax_is_reported_as_simplified(catalog: SearchIndex) -> None:
    found = catalog.search("(((")
    assert found.simplified and found.total == 0


def test_a_write_is_visible_to_the_next_search(catalog: SearchIndex) -> None:
    assert catalog.search("盱眙龙虾").total == 0
    catalog.upsert([{**DOCS[1], "status": "listed"}], seq=2)
    assert keys(catalog, "盱眙龙虾") == ["crayfish"]
    catalog.delete(["product:2"], seq=3)
    assert catalog.search("盱眙龙虾").total == 0


def test_the_posting_cache_stays_within_its_memory_budget(tmp_path: Path) -> None:
    from search_index.columns import TermCache

    index = SearchIndex.open(tmp_path / "budget")
    index.upsert([{**MORE[0], "id": f"product:{n}", "key": f"k{n}"} for n in range(500)], seq=1)
    index._terms = cache = TermCache(budget=3000)  # room for about one word's 500 ids
    for word in ("公共交通", "客流", "日报", "公交", "transport"):
        assert index.search(word).total == 500
        assert cache.nbytes <= 3000 or len(cache._entries) == 1


def test_a_query_word_the_documents_split_differently_finds_them_by_its_parts(tmp_path: Path) -> None:
    """jieba reads 交易价格 as one word in a query but 交易 / 价格指数 in 盱眙龙虾交易价格指数."""
    index = SearchIndex.open(tmp_path / "split")
    index.upsert(
        [
            {"id": "product:1", "kind": "product", "key": "xuyi", "title": "盱眙龙虾交易价格指数"},
            {"id": "product:2", "kind": "product", "key": "other", "title": "淮安大米交易量统计"},
        ],
        seq=1,
    )
    assert keys(index, "交易价格") == ["xuyi"]  # both parts, so not the rice volumes
    assert keys(index, "NOT 交易价格") == ["other"]
    assert keys(index, "龙虾") == ["xuyi"]  # a word the documents hold is looked up as it is


def test_a_seeded_random_module_does_not_make_commits_reuse_segment_names(tmp_path: Path) -> None:
    import random

    index = SearchIndex.open(tmp_path / "index")
    for n, doc in enumerate(DOCS):
        random.seed(1)  # as a test framework or a library might, before every write
        index.upsert([doc], seq=n + 1)
    assert index.search("淮安", filters={}).total == 2
    assert index.search("龙虾", filters={}).total == 1


def test_a_cut_short_postings_file_is_found_by_verify_and_fails_searches_loudly(tmp_path: Path) -> None:
    index = SearchIndex.open(tmp_path / "index")
    index.upsert([{**DOCS[n % 3], "id": f"product:{n}", "key": f"k{n}"} for n in range(300)], seq=1)
    assert index.verify() is True
    words = ("淮安", "公交", "龙虾", "价格", "交通", "客流", "分析", "gongjiao")
    totals = {word: index.search(word, filters={}).total for word in words}
    generation = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text()
    postings = next(generation.glob("*.pst"))
    index.close()
    postings.write_bytes(postings.read_bytes()[: postings.stat().st_size // 3])

    damaged = SearchIndex.open(tmp_path / "index")
    with pytest.raises(IndexDamaged):
        damaged.verify()
    failures = 0
    for word in words:  # an error the service acts on (it rebuilds), never a silently short answer
        try:
            assert damaged.search(word, filters={}).total == totals[word], word
        except AssertionError:
            raise
        except Exception:
            failures += 1
    assert failures


def test_verify_reads_a_segment_again_only_when_its_bytes_changed_since_it_was_read_whole(
    tmp_path: Path,
) -> None:
    index = SearchIndex.open(tmp_path / "index")
    index.upsert([{**DOCS[n % 3], "id": f"product:{n}", "key": f"k{n}"} for n in range(300)], seq=1)
    generation = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text()
    asked: list[int] = []

    def stop() -> bool:  # asked before the first word of each segment read, and every 1,000 words
        asked.append(1)
        return False

    assert index.verify(stop) is True and asked, "the first verify reads the postings"
    asked.clear()
    assert index.verify(stop) is True and not asked, "unchanged since: nothing is read again"

    (generation / "VERIFIED").write_text("{not json", encoding="utf-8")  # what it kept is lost
    assert index.verify(stop) is True and asked
    asked.clear()

    postings = next(generation.glob("*.pst"))
    index.close()
    data = postings.read_bytes()
    cut = len(data) * 2 // 3  # other bytes, the same size, past what opening the index reads
    postings.write_bytes(data[:cut] + data[cut:][::-1])
    changed = SearchIndex.open(tmp_path / "index")
    with pytest.raises(IndexDamaged):
        changed.verify(stop)
    assert asked, "a segment whose bytes differ from what was read whole is read again"


# whoosh's own retry of a reader whose segment files went (index.reader) drops the segment readers it
# had opened: the garbage collector closes their files, and warns
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("read", ["check", "verify", "search"])
def test_reads_beside_commits_that_merge_segments_see_no_false_damage(tmp_path: Path, read: str) -> None:
    """A commit that merges segments deletes files that a searcher opened just before may still have
    to open: the read is made again, never reported as damage (which would start a needless rebuild)
    nor answered short."""
    import threading
    import time

    index = SearchIndex.open(tmp_path / "index")
    docs = [{**DOCS[0], "id": f"product:{n}", "key": f"k{n}", "status": ["listed"]} for n in range(300)]
    index.upsert(docs, seq=1)
    failures: list[BaseException] = []
    short: list[int] = []
    done = threading.Event()

    def reads() -> None:
        while not done.is_set():
            try:
                if read == "search":
                    total = index.search("公交", filters={"status": ["listed"]}).total
                    if total != len(docs):
                        short.append(total)
                else:
                    getattr(index, read)()
            except BaseException as error:
                failures.append(error)

    reader = threading.Thread(target=reads)
    reader.start()
    deadline, seq = time.monotonic() + 2, 1
    while time.monotonic() < deadline:  # one document rewritten per commit: whoosh merges often
        seq += 1
        index.apply([docs[seq % len(docs)]], (), seq=seq)
    done.set()
    reader.join()
    index.close()
    gc.collect()  # the readers whoosh dropped are closed now, under this test's filter, not in a later test
    assert failures == [] and short == []
