"""Registration acts and how they are shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from catalog.models_base import utcnow


class Registration(SQLModel, table=True):
    """One registration act of a product or dataset; the acts of an item share its code. The
    snapshot is what was registered, and the fingerprint its SHA-256 (存证)."""

    __tablename__ = "registration"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, index=True)  # 登记编号, HADP-DJ-<year>-<nnnnn>
    act: str = Field(max_length=20)
    kind: str = Field(max_length=10)  # product | dataset
    item_id: int = Field(index=True)
    version: str = Field(default="", max_length=20)
    registered_at: dt.datetime = Field(default_factory=utcnow)
    valid_from: dt.date
    valid_until: dt.date = Field(index=True)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    fingerprint: str = Field(max_length=64)
    reason: str = Field(default="", max_length=2000)
    registered_by: str = Field(default="", max_length=254)
    reminded_on: dt.date | None = None  # the end its owners were reminded of


class ActPublic(SQLModel):
    act: str
    registered_at: dt.datetime
    version: str
    valid_from: dt.date
    valid_until: dt.date
    fingerprint: str
    reason: str


class RegistrationSummary(SQLModel):
    """An item's registration as its page shows it."""

    code: str
    status: str  # valid | expiring | expired | cancelled
    valid_from: dt.date
    valid_until: dt.date
    renewal_open: bool
    acts: list[ActPublic]  # newest first


class RegistrationPublic(RegistrationSummary):
    """A registration as /verify and the API answer it: its facts, status, fingerprint and checks."""

    kind: str
    item: dict[str, Any]  # id, title, title_en, url, provider
    fingerprint: str  # the latest act's
    fingerprint_ok: bool  # the stored snapshot still hashes to the stored fingerprint
    matches_current: bool | None  # the item's metadata now is what was registered last
    snapshot: dict[str, Any]  # what was registered last (hash its canonical JSON to check)
    verify_url: str
    certificate_url: str
