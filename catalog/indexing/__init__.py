"""The ChangeLog and the indexer that feeds search_index/ from it."""
