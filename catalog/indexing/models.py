"""The ChangeLog: an append-only sequence of changes to searchable entities."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from catalog.models_base import utcnow


class ChangeLog(SQLModel, table=True):
    __tablename__ = "change_log"

    seq: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)  # "product" | "dataset" | "organization" | "licence" | "sector"
    entity_id: int
    at: dt.datetime = Field(default_factory=utcnow)

    @property
    def mark(self) -> str:
        """What tells this change from another of the same number (a restored database numbers its
        changes again from the backup's): what changed, and when."""
        return f"{self.entity}:{self.entity_id}@{self.at.isoformat()}"
