"""Tables of the figures: anonymous page-view counts."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class ViewCount(SQLModel, table=True):
    """How many times a product's or dataset's page was shown on one day. Nothing about the visitor
    is kept: no address, no account, no cookie, only the count."""

    __tablename__ = "view_count"

    kind: str = Field(primary_key=True, max_length=10)  # product | dataset
    key: str = Field(primary_key=True, max_length=120)  # the product's slug or the dataset's code
    day: dt.date = Field(primary_key=True)
    views: int = Field(default=0)
