"""Public URLs of listed items, shared by every package that links to them."""

from __future__ import annotations


def product_url(slug: str) -> str:
    return f"/products/{slug}"


def dataset_url(code: str) -> str:
    return f"/datasets/{code}"
