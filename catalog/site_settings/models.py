"""The table of site settings that administrators change."""

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
