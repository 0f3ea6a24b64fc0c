"""A Whoosh search engine adapter for the catalog: Chinese + pinyin analysis, query, writer.

It takes plain documents (dicts) and returns plain results, and imports nothing from ``catalog``::

    index = SearchIndex.open(path)          # creates the index on first use
    index.upsert(docs, seq=42)              # add or replace documents, record the applied sequence
    index.delete(ids, seq=43)
    index.search("公交 客流", kind="product").hits
    index.rebuild(all_docs, seq=43)         # build a fresh index beside the old one, swap atomically
    index.last_applied_seq()
"""

from search_index.index import SearchHit, SearchIndex, SearchResult

__all__ = ["SearchHit", "SearchIndex", "SearchResult"]
