"""Tables of the figures: anonymous page-view counts, and the published disclosures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from catalog.models_base import utcnow


class ViewCount(SQLModel, table=True):
    """How many times a product's or dataset's page was shown on one day. Nothing about the visitor
    is kept: no address, no account, no cookie, only the count."""

    __tablename__ = "view_count"

    kind: str = Field(primary_key=True, max_length=10)  # product | dataset
    key: str = Field(primary_key=True, max_length=120)  # the product's slug or the dataset's code
    day: dt.date = Field(primary_key=True)
    views: int = Field(default=0)


class PublishedDisclosure(SQLModel, table=True):
    """A year's disclosure as an administrator published it: frozen, whatever the catalog becomes."""

    __tablename__ = "published_disclosure"

    year: int = Field(primary_key=True)
    published_at: dt.datetime = Field(default_factory=utcnow)
    published_by: str = Field(default="", max_length=254)
    report: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
