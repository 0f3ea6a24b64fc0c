"""Per-document values for filtering, facet counting, scoring and sorting, held in memory as arrays.

Each document carries one packed ``row`` column (kind, key, listed time, request count, title sort
key, then every filter field). Whoosh segments never change once written, so a segment's rows and
the documents of a word in it are decoded once and kept while the segment lives: a write only adds
a small new segment. A search is then array arithmetic over every document of the index: a boolean
mask per word, ``bincount`` per facet, one score array — no stored field read, no hit rescanned.
The same arithmetic serves a plain list of documents (``Columns.of``): the catalog's database
fallback filters, counts and sorts what it found with it while the index is rebuilt.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from whoosh.matching import wrappers
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from search_index.analysis import title_sort_key
from search_index.schema import FILTER_FIELDS, META_ID, SORTS

FIELD_SEP = "\x1f"
VALUE_SEP = "\x1e"
FIXED = ("kind", "key", "listed", "requests", "title_sort")
NUMERIC_TAIL = ("quality",)  # after the filters, so that rows packed before it read as 0
COLUMNS = FIXED + FILTER_FIELDS + NUMERIC_TAIL
CODED = ("kind", *FILTER_FIELDS)  # columns held as integer codes of their (packed) values
TERM_CACHE_SIZE = 8192  # (segment, field, word) posting lists kept decoded …
TERM_CACHE_BYTES = 256 * 2**20  # … in at most this much memory
QUERY_CACHE_SIZE = 1024  # phrase and prefix results kept per view (until the next write) …
QUERY_CACHE_BYTES = 64 * 2**20  # … in at most this much memory


def pack(doc: Mapping[str, Any]) -> bytes:
    """The packed row of a plain document."""
    values = []
    for name in COLUMNS:
        value = doc.get(name)
        if name == "listed":
            value = _epoch(doc.get("listed_at"))
        elif name == "title_sort" and not value:
            value = title_sort_key(doc.get("title") or "")
        elif isinstance(value, list | tuple | set):
            value = VALUE_SEP.join(sorted(str(v) for v in value))
        values.append("" if value is None else str(value).replace(FIELD_SEP, " "))
    return FIELD_SEP.join(values).encode("utf-8")


def _epoch(value: Any) -> int:
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(value.timestamp())
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp())
    return 0


class Codes:
    """Grow-only dictionaries from each coded column's (packed) values to small integers.

    Shared by every segment of an index, so codes mean the same in every segment and view.
    """

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, int]] = {name: {"": 0} for name in CODED}
        self.values: dict[str, list[str]] = {name: [""] for name in CODED}

    def code(self, column: str, packed: str) -> int:
        codes = self.codes[column]
        found = codes.get(packed)
        if found is None:
            found = codes[packed] = len(codes)
            self.values[column].append(packed)
        return found

    def table(self, column: str, wanted: Sequence[str]) -> np.ndarray:
        """A lookup table over ``column``'s codes: True for the packed values holding any of ``wanted``."""
        wanted_set = set(wanted)
        return np.array(
            [bool(v) and not wanted_set.isdisjoint(v.split(VALUE_SEP)) for v in self.values[column]],
            dtype=bool,
        )


class SegmentColumns:
    """The decoded rows of one segment, indexed by the segment's own document numbers."""

    def __init__(self, raw_rows: Any, size: int, codes: Codes) -> None:
        columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        names = list(COLUMNS)
        for raw in raw_rows:
            parts = raw.decode("utf-8").split(FIELD_SEP) if raw else []
            parts += [""] * (len(names) - len(parts))
            for name, part in zip(names, parts, strict=False):
                columns[name].append(part)
        for name in COLUMNS:  # a segment without the column (the meta document only) reads as empty
            columns[name] += [""] * (size - len(columns[name]))
        self.keys: list[str] = columns["key"]
        self.titles: list[str] = columns["title_sort"]
        self.listed = np.array([int(v or 0) for v in columns["listed"]], dtype=np.int64)
        self.requests = np.array([int(v or 0) for v in columns["requests"]], dtype=np.int64)
        self.quality = np.array([int(v or 0) for v in columns["quality"]], dtype=np.int64)
        self.coded = {
            name: np.array([codes.code(name, v) for v in columns[name]], dtype=np.int32) for name in CODED
        }


class TermCache:
    """Decoded posting lists per (segment, field, word), least recently used dropped first once
    there are more than ``size`` of them or they hold more than ``budget`` bytes."""

    def __init__(self, size: int = TERM_CACHE_SIZE, budget: int = TERM_CACHE_BYTES) -> None:
        self.size, self.budget, self.nbytes = size, budget, 0
        self._entries: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()

    def ids(self, segid: str, leaf: Any, field: str, text: str) -> np.ndarray:
        key = (segid, field, text)
        found = self._entries.get(key)
        if found is None:
            found = self._entries[key] = posting_ids(leaf, field, text).astype(np.int32)
            self.nbytes += found.nbytes
            while len(self._entries) > 1 and (len(self._entries) > self.size or self.nbytes > self.budget):
                self.nbytes -= self._entries.popitem(last=False)[1].nbytes
        else:
            self._entries.move_to_end(key)
        return found

    def forget(self, segids: set[str]) -> None:
        for key in [k for k in self._entries if k[0] in segids]:
            self.nbytes -= self._entries.pop(key).nbytes


def posting_ids(leaf: Any, field: str, text: str) -> np.ndarray:
    """The local document numbers of ``text`` in ``field`` of one segment (deleted ones included)."""
    try:
        matcher = leaf.postings(field, text)
    except TermNotFound:  # a word or field this segment does not have; damage is raised, not hidden
        return np.empty(0, dtype=np.int64)
    while isinstance(matcher, wrappers.WrappingMatcher):
        matcher = matcher.child
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        blocks = []
        while not matcher._atend:  # read whole blocks: far cheaper than one id at a time
            matcher._read_ids()
            blocks.append(np.asarray(matcher._ids, dtype=np.int64))
            matcher._next_block()
        return np.concatenate(blocks) if blocks else np.empty(0, dtype=np.int64)
    return np.fromiter(matcher.all_ids(), dtype=np.int64)


def _meta_only(leaf: Any) -> bool:
    """Whether every document of the segment is the meta document (which has no row of columns)."""
    return all(leaf.stored_fields(n).get("id") == META_ID for n in range(leaf.doc_count_all()))


class Columns:
    """The filter, facet and sort values of documents as arrays, addressed by document number: those
    of the index (``View``), or of a plain list of documents (``Columns.of``), filtered, counted and
    sorted by the same code."""

    def __init__(self, parts: Sequence[SegmentColumns], codes: Codes) -> None:
        self.codes = codes
        self.size = sum(len(p.keys) for p in parts)
        self.keys = [k for p in parts for k in p.keys]
        self._titles = [t for p in parts for t in p.titles]
        self.listed = _join([p.listed for p in parts], np.int64)
        self.requests = _join([p.requests for p in parts], np.int64)
        self.quality = _join([p.quality for p in parts], np.int64)
        self.coded = {name: _join([p.coded[name] for p in parts], np.int32) for name in CODED}
        self._title_rank: np.ndarray | None = None

    @classmethod
    def of(cls, docs: Sequence[Mapping[str, Any]]) -> Columns:
        """The columns of plain documents, packed as the index packs them; a later document of the
        list wins a tie, as a later document of the index does."""
        codes = Codes()
        return cls([SegmentColumns([pack(doc) for doc in docs], len(docs), codes)], codes)

    def select(
        self, matched: np.ndarray, filters: Mapping[str, Sequence[str]], facets: Sequence[str]
    ) -> tuple[np.ndarray, dict[str, list[tuple[str, int]]]]:
        """The documents of ``matched`` passing every filter, and the counts per value of each
        ``facets`` field over the documents of ``matched`` passing every filter but the field's own."""
        passing = {name: self.passing(name, values) for name, values in filters.items()}
        counts = {}
        for name in facets:
            others = _intersect(matched, (p for n, p in passing.items() if n != name))
            counts[name] = sorted(self.count(name, others).items(), key=lambda item: (-item[1], item[0]))
        return _intersect(matched, passing.values()), counts

    def passing(self, field: str, values: Sequence[str]) -> np.ndarray:
        """Mask of the documents holding at least one of ``values`` in ``field``."""
        passes: np.ndarray = self.codes.table(field, values)[self.coded[field]]
        return passes

    def count(self, field: str, mask: np.ndarray) -> Counter[str]:
        """How many documents of ``mask`` hold each value of ``field`` (two values: counted in both)."""
        packed_counts = np.bincount(self.coded[field][mask], minlength=len(self.codes.values[field]))
        counts: Counter[str] = Counter()
        for code in np.flatnonzero(packed_counts):
            packed = self.codes.values[field][code]
            for value in packed.split(VALUE_SEP) if packed else ():
                counts[value] += int(packed_counts[code])
        return counts

    def kind(self, doc: int) -> str:
        return self.codes.values["kind"][int(self.coded["kind"][doc])]

    def page(
        self, mask: np.ndarray, sort: str, offset: int, limit: int | None, scores: np.ndarray | None = None
    ) -> np.ndarray:
        """Documents ``offset`` to ``offset + limit`` of ``mask`` (every one from ``offset`` when
        ``limit`` is None) in ``sort`` order; ``relevance`` uses ``scores``, or is ``newest`` without."""
        total = int(np.count_nonzero(mask))
        return self.top(mask, sort, total if limit is None else min(total, offset + limit), scores)[offset:]

    def top(self, mask: np.ndarray, sort: str, stop: int, scores: np.ndarray | None = None) -> np.ndarray:
        """The first ``stop`` documents of ``mask`` in ``sort`` order (``relevance`` uses ``scores``);
        ties go to the newest listing, then the latest document."""
        docs = np.flatnonzero(mask)
        primary = self._primary(sort, scores)
        if len(docs) > stop > 0:
            keys = primary[docs]
            kth = np.partition(keys, stop - 1)[stop - 1]
            docs = docs[keys <= kth]  # every document tied with the last one kept, then ordered below
        order = np.lexsort((-docs, -self.listed[docs], primary[docs]))
        return docs[order][:stop]

    def _primary(self, sort: str, scores: np.ndarray | None) -> np.ndarray:
        """An ascending sort key per document."""
        if sort == "relevance" and scores is not None:
            return -scores
        if sort == "oldest":
            return self.listed
        if sort == "title":
            return self.title_rank()
        if sort == "requests":
            return -self.requests
        if sort == "quality":
            return -self.quality
        return -self.listed  # newest

    def title_rank(self) -> np.ndarray:
        if self._title_rank is None:  # equal titles share a rank, so the newest of them comes first
            position = {title: i for i, title in enumerate(sorted(set(self._titles)))}
            self._title_rank = np.array([position[t] for t in self._titles], dtype=np.int64)
        return self._title_rank


class View(Columns):
    """Every document of one searcher as arrays, addressed by global document number."""

    def __init__(
        self, searcher: Searcher, segments: dict[str, SegmentColumns], codes: Codes, terms: TermCache
    ):
        reader = searcher.reader()
        leaves = reader.leaf_readers() if reader.doc_count_all() else []
        self.terms = terms
        self.leaves: list[tuple[str, Any, int]] = []
        parts: list[SegmentColumns] = []
        live: list[np.ndarray] = []
        for leaf, offset in leaves:
            segid = leaf.segment().segment_id()
            if segid not in segments:
                if leaf.has_column("row"):
                    rows = leaf.column_reader("row")
                elif _meta_only(leaf):  # a commit of the sequence number alone: nothing to filter
                    rows = []
                else:  # a commit merged the segment away while this searcher opened it: read again
                    raise FileNotFoundError(f"segment {segid} lost its columns file")
                segments[segid] = SegmentColumns(rows, leaf.doc_count_all(), codes)
            parts.append(segments[segid])
            self.leaves.append((segid, leaf, offset))
            alive = np.ones(leaf.doc_count_all(), dtype=bool)
            deleted = list(leaf.deleted_docs_set) if leaf.has_deletions() else []
            alive[deleted] = False
            live.append(alive)
        gone = set(segments) - {segid for segid, _, _ in self.leaves}
        for segid in gone:  # segments merged away
            del segments[segid]
        terms.forget(gone)
        super().__init__(parts, codes)
        self.live = _join(live, bool)
        self._universes: dict[str | None, np.ndarray] = {}
        self._queries: dict[Any, np.ndarray] = {}
        self._queries_bytes = 0

    def universe(self, kind: str | None) -> np.ndarray:
        """Mask of the live documents of ``kind`` (of every kind when None; the meta document has none)."""
        if kind not in self._universes:
            kinds = self.coded["kind"]
            if kind is None:
                self._universes[kind] = self.live & (kinds != 0)
            else:
                code = self.codes.codes["kind"].get(kind, -1)
                self._universes[kind] = self.live & (kinds == code)
        return self._universes[kind]

    def term_ids(self, field: str, text: str) -> np.ndarray:
        """Global document numbers holding ``text`` in ``field``."""
        parts = [
            self.terms.ids(segid, leaf, field, text).astype(np.int64) + offset
            for segid, leaf, offset in self.leaves
        ]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def cached(self, query: Any, find: Callable[[], np.ndarray]) -> np.ndarray:
        """The documents of a costly query (a phrase, a prefix), found once while this view lives."""
        found = self._queries.get(query)
        if found is None:
            found = find()
            if (
                len(self._queries) >= QUERY_CACHE_SIZE
                or self._queries_bytes + found.nbytes > QUERY_CACHE_BYTES
            ):
                self._queries.clear()
                self._queries_bytes = 0
            self._queries[query] = found
            self._queries_bytes += found.nbytes
        return found

    def mask(self, ids: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[ids] = True
        return mask


def checked_filters(
    filters: Mapping[str, Sequence[str]] | None, facets: Sequence[str], sort: str
) -> dict[str, list[str]]:
    """The filters that choose any value; ``ValueError`` on a field or a sort the index does not have."""
    chosen = {name: list(values) for name, values in (filters or {}).items() if values}
    for name in (*chosen, *facets):
        if name not in FILTER_FIELDS:
            raise ValueError(f"unknown filter {name!r}")
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    return chosen


def _intersect(mask: np.ndarray, others: Iterable[np.ndarray]) -> np.ndarray:
    for other in others:
        mask = mask & other
    return mask


def _join(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
