"""A Whoosh search engine adapter for the catalog: Chinese + pinyin analysis, query, facets, writer.

It takes plain documents (dicts) and returns plain results, and imports nothing from ``catalog``::

    index = SearchIndex.open(path)          # creates the index on first use
    index.upsert(docs, seq=42)              # add or replace documents, record the applied sequence
    index.delete(ids, seq=43)
    found = index.search("公交 客流", kind="product", filters={"status": ["listed"]},
                         facets=["sector"], sort="relevance", offset=0, limit=20)
    found.total, found.hits, found.facets["sector"], found.suggestion
    index.rebuild(all_docs, seq=43)         # build a fresh index beside the old one, swap it atomically
    index.rebuild(seq=43, parts=[read_a, read_b])  # the same, one process per picklable document source
    index.last_applied_seq()

A document has ``id``, ``kind`` and ``key``; text in the fields of ``schema.SEARCH_FIELDS``; values of
``schema.FILTER_FIELDS`` (a list for several); ``listed_at``, ``requests`` and optionally ``title_sort``
for sorting.
"""

from search_index.index import SearchHit, SearchIndex, SearchResult

__all__ = ["SearchHit", "SearchIndex", "SearchResult"]
