"""Per-document values for filtering, facet counting and sorting, held in memory per segment.

Each document carries one packed ``row`` column (kind, status, key, listed time, request count, title
sort key, then every filter field). Whoosh segments never change once written, so a segment's rows
are decoded once and kept while the segment lives; a write only adds the small new segment. Facet
counts are then a ``Counter`` over the values of the matched documents — no stored field is read and
no hit is rescanned.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from whoosh.searching import Searcher

from search_index.schema import FILTER_FIELDS

FIELD_SEP = "\x1f"
VALUE_SEP = "\x1e"
FIXED = ("kind", "key", "listed", "requests", "title_sort")
COLUMNS = FIXED + FILTER_FIELDS


def pack(doc: Mapping[str, Any]) -> bytes:
    """The packed row of a plain document."""
    values = []
    for name in COLUMNS:
        value = doc.get(name)
        if name == "listed":
            value = _epoch(doc.get("listed_at"))
        elif isinstance(value, list | tuple | set):
            value = VALUE_SEP.join(str(v) for v in value)
        values.append("" if value is None else str(value).replace(FIELD_SEP, " "))
    return FIELD_SEP.join(values).encode("utf-8")


def _epoch(value: Any) -> int:
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(value.timestamp())
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp())
    return 0


class SegmentColumns:
    """The decoded rows of one segment: one list per column, indexed by the segment's doc numbers."""

    def __init__(self, raw_rows: Iterable[bytes]) -> None:
        columns: list[list[Any]] = [[] for _ in COLUMNS]
        intern: dict[str, str] = {}
        for raw in raw_rows:
            parts = raw.decode("utf-8").split(FIELD_SEP) if raw else [""] * len(COLUMNS)
            parts += [""] * (len(COLUMNS) - len(parts))
            for column, part in zip(columns, parts, strict=False):
                column.append(intern.setdefault(part, part))
        self.columns = dict(zip(COLUMNS, columns, strict=True))
        self.columns["listed"] = [int(v or 0) for v in self.columns["listed"]]
        self.columns["requests"] = [int(v or 0) for v in self.columns["requests"]]


class Columns:
    """The rows of every segment of one searcher, addressed by global document number."""

    def __init__(self, searcher: Searcher, cache: dict[str, SegmentColumns]) -> None:
        reader = searcher.reader()
        leaves = reader.leaf_readers() if reader.doc_count_all() else []
        self.columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        live: list[int] = []
        seen = set()
        for leaf, offset in leaves:
            segid = leaf.segment().segment_id() if leaf.segment() is not None else str(id(leaf))
            seen.add(segid)
            if segid not in cache:
                rows = leaf.column_reader("row") if leaf.has_column("row") else []
                cache[segid] = SegmentColumns(rows)
            segment = cache[segid]
            for name in COLUMNS:
                self.columns[name].extend(segment.columns[name])
            live.extend(offset + d for d in leaf.all_doc_ids())
        for segid in set(cache) - seen:  # segments merged away
            del cache[segid]
        self.live = live
        self._universes: dict[str | None, set[int]] = {}
        self._orders: dict[str, list[int]] = {}

    def universe(self, kind: str | None) -> set[int]:
        """Live documents of ``kind`` (of every kind when None; the meta document has none)."""
        if kind not in self._universes:
            kinds = self.columns["kind"]
            if kind is None:
                self._universes[kind] = {d for d in self.live if kinds[d]}
            else:
                self._universes[kind] = {d for d in self.live if kinds[d] == kind}
        return self._universes[kind]

    def passing(self, field: str, values: Sequence[str], docs: set[int]) -> set[int]:
        """Those of ``docs`` holding at least one of ``values`` in ``field``."""
        column, wanted = self.columns[field], set(values)
        allowed = {
            packed
            for packed in set(map(column.__getitem__, docs))
            if packed in wanted or not wanted.isdisjoint(packed.split(VALUE_SEP))
        }
        return {d for d in docs if column[d] in allowed}

    def count(self, field: str, docs: set[int]) -> Counter[str]:
        """How many of ``docs`` hold each value of ``field`` (a document with two values counts in both)."""
        packed_counts = Counter(map(self.columns[field].__getitem__, docs))
        counts: Counter[str] = Counter()
        for packed, n in packed_counts.items():
            if not packed:
                continue
            for value in packed.split(VALUE_SEP) if VALUE_SEP in packed else (packed,):
                counts[value] += n
        return counts

    def key(self, doc: int) -> str:
        return self.columns["key"][doc]

    def kind(self, doc: int) -> str:
        return self.columns["kind"][doc]

    def order(self, sort: str) -> list[int]:
        """Every live document in ``sort`` order (computed once per searcher)."""
        if sort not in self._orders:
            self._orders[sort] = sorted(self.live, key=self.sort_key(sort))
        return self._orders[sort]

    def sort_key(self, sort: str) -> Callable[[int], tuple]:
        listed, requests, title = self.columns["listed"], self.columns["requests"], self.columns["title_sort"]
        if sort == "oldest":
            return lambda d: (listed[d], d)
        if sort == "title":
            return lambda d: (title[d], d)
        if sort == "requests":
            return lambda d: (-requests[d], -listed[d], -d)
        return lambda d: (-listed[d], -d)  # newest

    def top(self, docs: set[int], sort: str, stop: int) -> list[int]:
        """The first ``stop`` of ``docs`` in ``sort`` order."""
        if len(docs) * 16 < len(self.live):
            return sorted(docs, key=self.sort_key(sort))[:stop]
        found = []
        for doc in self.order(sort):
            if doc in docs:
                found.append(doc)
                if len(found) >= stop:
                    break
        return found
