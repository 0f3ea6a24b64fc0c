"""Tables of the figures: site settings that administrators change, and anonymous page-view counts."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from catalog.models_base import utcnow


class SiteSetting(SQLModel, table=True):
    """One setting an administrator changed on /admin/settings; absent keys take the environment's value."""

    __tablename__ = "site_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=2000)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class ViewCount(SQLModel, table=True):
    """How many times a product's or dataset's page was shown on one day. Nothing about the visitor
    is kept: no address, no account, no cookie, only the count."""

    __tablename__ = "view_count"

    kind: str = Field(primary_key=True, max_length=10)  # product | dataset
    key: str = Field(primary_key=True, max_length=120)  # the product's slug or the dataset's code
    day: dt.date = Field(primary_key=True)
    views: int = Field(default=0)
