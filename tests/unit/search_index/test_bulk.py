"""Whole-index builds: the bulk segment writer and parallel segments give the index whoosh's own writer
gives, and a failed build leaves the live index alone."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import pytest

from search_index import SearchIndex
from tests.unit.search_index.test_index import DOCS, MORE

QUERIES = [
    ("", {}),
    ("淮安", {}),
    ("公交", {}),
    ("jiaotong", {}),
    ("jt", {}),
    ('"公交客流"', {}),
    ("price index", {}),
    ("淮安", {"filters": {"sector": ["transport"]}}),
    ("", {"sort": "title"}),
    ("", {"sort": "requests"}),
]
FACETS = ["sector", "provider_id", "product_type", "status"]


def answers(index: SearchIndex, ranked: bool = True) -> list[tuple]:
    """What each query answers: totals, facets and hits (in order, with scores, when ``ranked``)."""
    out = []
    for text, options in QUERIES:
        result = index.search(text, facets=FACETS, limit=None, **options)  # type: ignore[arg-type]
        hits = [(h.kind, h.key, round(h.score, 6)) for h in result.hits]
        out.append((text, result.total, hits if ranked else sorted(h[:2] for h in hits), result.facets))
    return out


@pytest.fixture
def reference(tmp_path: Path) -> SearchIndex:
    """The same documents written by whoosh's own writer."""
    index = SearchIndex.open(tmp_path / "reference")
    index.upsert(DOCS + MORE, seq=5)
    return index


def test_a_rebuild_in_this_process_answers_as_whoosh_writer_does(
    reference: SearchIndex, tmp_path: Path
) -> None:
    built = SearchIndex.open(tmp_path / "bulk").rebuild(DOCS + MORE, seq=5)
    assert answers(built) == answers(reference)
    assert built.last_applied_seq() == 5 and built.doc_count() == len(DOCS + MORE)


def test_a_rebuild_in_parallel_processes_answers_the_same(reference: SearchIndex, tmp_path: Path) -> None:
    docs = DOCS + MORE
    parts = [partial(list, docs[:3]), partial(list, docs[3:])]  # picklable sources, one process each
    seen: list[int] = []
    built = SearchIndex.open(tmp_path / "parallel").rebuild(seq=5, parts=parts, progress=seen.append)
    assert answers(built) == answers(reference)
    assert sum(seen) == len(docs)
    assert built.last_applied_seq() == 5


def test_later_writes_merge_with_bulk_segments(reference: SearchIndex, tmp_path: Path) -> None:
    docs = DOCS + MORE
    built = SearchIndex.open(tmp_path / "parallel").rebuild(
        seq=5, parts=[partial(list, docs[:4]), partial(list, docs[4:])]
    )
    renamed = {**DOCS[1], "title": "盱眙龙虾交易价格指数"}
    for index in (built, reference):
        index.apply([renamed], ["product:1"], seq=6)
    # scores may differ: whoosh counts a deleted document in word rarity until its segment is merged
    assert answers(built, ranked=False) == answers(reference, ranked=False)
    assert built.search("盱眙龙虾交易").total == 1
    assert built.search("客流").total == reference.search("客流").total


def test_long_posting_lists_span_blocks(tmp_path: Path) -> None:
    """A word in more documents than one posting block holds (128) is found in all of them, as a word
    and inside phrases."""
    docs = [
        {
            "id": f"product:{n}",
            "kind": "product",
            "key": f"k{n}",
            "title": f"淮安公交客流数据第{n}期" if n % 3 else f"淮安客流公交数据第{n}期",
            "provider_id": f"org{n % 7}",
            "listed_at": dt.datetime(2025, 1, 1) + dt.timedelta(days=n),
        }
        for n in range(1, 401)
    ]
    built = SearchIndex.open(tmp_path / "long").rebuild(docs, seq=1)
    assert built.search("公交", limit=None).total == 400
    phrase = built.search('"公交客流"', limit=None)
    assert phrase.total == len([n for n in range(1, 401) if n % 3])
    assert {k for k, _ in built.search("", facets=["provider_id"]).facets["provider_id"]} == {
        f"org{n}" for n in range(7)
    }


def broken_source() -> list[dict]:
    raise RuntimeError("the database went away")


def test_a_failed_rebuild_leaves_the_live_index_in_place(reference: SearchIndex, tmp_path: Path) -> None:
    root = tmp_path / "reference"
    before = sorted(p.name for p in root.iterdir())
    with pytest.raises(RuntimeError, match="went away"):
        reference.rebuild(seq=9, parts=[partial(list, DOCS), broken_source])
    assert sorted(p.name for p in root.iterdir()) == before
    reopened = SearchIndex.open(root)
    assert reopened.generation == reference.generation and reopened.last_applied_seq() == 5
