"""Open, write, search and rebuild the on-disk index.

The index folder holds generations (``gen-<n>/``) and a ``CURRENT`` file naming the live one; a
rebuild writes a new generation and swaps ``CURRENT`` atomically. The last applied change-log
sequence number is stored as a meta document in the same commit as the changes it covers.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.qparser import MultifieldParser
from whoosh.query import And, NullQuery, Or, Query, Term

from search_index.schema import FILTER_FIELDS, META_ID, SEARCH_FIELDS, build_schema

MAX_QUERY_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SYNTAX = re.compile(r"[()\[\]{}:^~*?\"'+\-!/\\]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b")


@dataclass(frozen=True)
class SearchHit:
    kind: str
    key: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    query: str = ""


def clean_query(text: str) -> str:
    """Normalize user text: NFKC, no control characters, bounded length."""
    text = unicodedata.normalize("NFKC", text or "")
    return _CONTROL.sub(" ", text)[:MAX_QUERY_CHARS].strip()


class SearchIndex:
    """The search index of one process; writes are serialized by a lock, searches are thread-confined."""

    def __init__(self, root: Path, generation: str) -> None:
        self.root = root
        self.generation = generation
        self._ix = whoosh_index.open_dir(str(root / generation))
        self._write_lock = threading.Lock()
        self._parser = MultifieldParser(list(SEARCH_FIELDS), self._ix.schema)

    # --- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path | str) -> SearchIndex:
        """Open the live generation under ``root``, creating an empty index if there is none."""
        root = Path(root)
        current = root / "CURRENT"
        if current.exists():
            generation = current.read_text(encoding="utf-8").strip()
            if whoosh_index.exists_in(str(root / generation)):
                return cls(root, generation)
        generation = cls._new_generation(root)
        cls._swap(root, generation)
        return cls(root, generation)

    @staticmethod
    def _new_generation(root: Path) -> str:
        root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
        generation = f"gen-{max(numbers, default=0) + 1}"
        path = root / generation
        path.mkdir()
        whoosh_index.create_in(str(path), build_schema())
        return generation

    @staticmethod
    def _swap(root: Path, generation: str) -> None:
        tmp = root / "CURRENT.tmp"
        tmp.write_text(generation, encoding="utf-8")
        os.replace(tmp, root / "CURRENT")

    # --- writing -------------------------------------------------------------------------------
    def upsert(self, docs: Iterable[Mapping[str, Any]], seq: int | None = None) -> None:
        """Add or replace documents (by ``id``), recording ``seq`` as applied in the same commit."""
        self.apply(docs, (), seq)

    def delete(self, ids: Iterable[str], seq: int | None = None) -> None:
        """Remove documents by ``id``, recording ``seq`` as applied in the same commit."""
        self.apply((), ids, seq)

    def apply(self, upserts: Iterable[Mapping[str, Any]], deletes: Iterable[str], seq: int | None) -> None:
        """Upsert and delete in one commit."""
        with self._write_lock:
            writer = self._ix.writer(timeout=30)
            try:
                for doc_id in deletes:
                    writer.delete_by_term("id", doc_id)
                for doc in upserts:
                    writer.update_document(**_prepare(doc))
                if seq is not None:
                    writer.update_document(id=META_ID, kind="meta", seq=seq)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def rebuild(self, docs: Iterable[Mapping[str, Any]], seq: int) -> SearchIndex:
        """Build a fresh generation from ``docs``, swap it in, and return the index opened on it."""
        generation = self._new_generation(self.root)
        ix = whoosh_index.open_dir(str(self.root / generation))
        writer = ix.writer(timeout=30)
        for doc in docs:
            writer.add_document(**_prepare(doc))
        writer.add_document(id=META_ID, kind="meta", seq=seq)
        writer.commit()
        self._swap(self.root, generation)
        # keep the generation just replaced: a running server may still be reading it until it follows
        for old in self.root.glob("gen-*"):
            if old.name not in (generation, self.generation):
                shutil.rmtree(old, ignore_errors=True)
        return SearchIndex(self.root, generation)

    # --- reading -------------------------------------------------------------------------------
    def last_applied_seq(self) -> int:
        """The change-log sequence number the index has applied up to (0 when new)."""
        with self._ix.searcher() as searcher:
            stored = searcher.document(id=META_ID)
        return int(stored["seq"]) if stored else 0

    def doc_count(self, kind: str | None = None) -> int:
        """Number of documents of ``kind`` (all kinds but meta when None)."""
        with self._ix.searcher() as searcher:
            if kind:
                return len(list(searcher.document_numbers(kind=kind)))
            return searcher.doc_count() - (1 if searcher.document(id=META_ID) else 0)

    def keys(self, kind: str) -> set[str]:
        """Keys of every document of ``kind``."""
        with self._ix.searcher() as searcher:
            return {stored["key"] for stored in searcher.documents(kind=kind)}

    def search(
        self,
        text: str,
        kind: str | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        limit: int | None = None,
    ) -> SearchResult:
        """Documents matching ``text`` (every word, in any searched field), best first."""
        cleaned = clean_query(text)
        query = self._parse(cleaned)
        if query is None:
            return SearchResult(total=0, query=cleaned)
        query = And([query, *self._restrictions(kind, filters)])
        with self._ix.searcher() as searcher:
            results = searcher.search(query, limit=limit)
            hits = [SearchHit(r["kind"], r["key"], float(r.score or 0.0)) for r in results]
            total = len(results) if limit is None else results.estimated_length()
        return SearchResult(total=total, hits=hits, query=cleaned)

    def _parse(self, text: str) -> Query | None:
        """Parse user text; syntax the parser rejects is dropped rather than answered with an error."""
        if not text:
            return None
        try:
            query = self._parser.parse(text)
        except Exception:  # whoosh raises many types on odd input; fall back to plain words
            query = self._parser.parse(_SYNTAX.sub(" ", text))
        return None if query is None or query is NullQuery else query

    @staticmethod
    def _restrictions(kind: str | None, filters: Mapping[str, Sequence[str]] | None) -> list[Query]:
        terms: list[Query] = (
            [Term("kind", kind)] if kind else [Or([Term("kind", "product"), Term("kind", "dataset")])]
        )
        for name, values in (filters or {}).items():
            if name not in FILTER_FIELDS:
                raise ValueError(f"unknown filter {name!r}")
            if values:
                terms.append(Or([Term(name, v) for v in values]))
        return terms


def _prepare(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a plain document into whoosh field values (lists become text or comma keywords)."""
    out: dict[str, Any] = {}
    for name, value in doc.items():
        if value is None:
            continue
        if name == "sector":
            out[name] = ",".join(value)
        elif isinstance(value, list | tuple):
            out[name] = " ".join(str(v) for v in value)
        else:
            out[name] = value
    if "title" in out and "title_pinyin" not in out:
        out["title_pinyin"] = out["title"]
    return out
