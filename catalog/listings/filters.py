"""The filters, sorting and paging a catalog list accepts, validated once for every door."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from catalog.pagination import PageParams

SortOrder = Literal["relevance", "newest", "oldest", "title", "requests", "quality"]


class ListingFilters(PageParams):
    q: str = Field(default="", max_length=5000)
    sector: list[str] = Field(default_factory=list)
    provider: list[str] = Field(default_factory=list)
    status: Literal["listed", "publicity"] = "listed"
    sort: SortOrder = "relevance"


class ProductFilters(ListingFilters):
    license: list[str] = Field(default_factory=list)
    type: list[str] = Field(default_factory=list)
    delivery: list[str] = Field(default_factory=list)
    price_model: list[str] = Field(default_factory=list)
    security: list[str] = Field(default_factory=list)
    frequency: list[str] = Field(default_factory=list)
    quality: list[str] = Field(default_factory=list)  # grades A, B, C (listings.quality)


class DatasetFilters(ListingFilters):
    security: list[str] = Field(default_factory=list)
    sharing: list[str] = Field(default_factory=list)
    frequency: list[str] = Field(default_factory=list)
