"""Public URLs of listed items, shared by every package that links to them."""

from __future__ import annotations


def product_url(slug: str) -> str:
    return f"/products/{slug}"


def dataset_url(code: str) -> str:
    return f"/datasets/{code}"


def listing_url(kind: str, key: str) -> str:
    """The public page of a product (``kind`` "product") or a dataset."""
    return product_url(key) if kind == "product" else dataset_url(key)
