"""Synthetic catalogs for ``catalog bench``: deterministic, realistic, bilingual data products."""
