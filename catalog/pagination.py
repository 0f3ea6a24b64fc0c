"""Paging parameters and pages of results, shared by every list."""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_PER_PAGE = 100


class PageParams(BaseModel):
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


class Page(BaseModel, Generic[T]):
    total: int
    page: int
    per_page: int
    items: list[T]
    facets: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    suggestion: str | None = None  # "did you mean", when a search found nothing
    simplified: bool = False  # the search ignored query syntax it could not read
    # answered from the database while the search index is rebuilt (told on pages, not in the API)
    from_database: bool = Field(default=False, exclude=True)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))
