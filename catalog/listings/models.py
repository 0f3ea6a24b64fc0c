"""The listing timeline (every transition, with its actor and reason) and in-app notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from catalog.models_base import utcnow


class ListingEvent(SQLModel, table=True):
    """One step of a product's or dataset's lifecycle: who moved it from which state to which, why."""

    __tablename__ = "listing_event"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # product | dataset
    item_id: int = Field(index=True)
    from_status: str = Field(max_length=24)
    to_status: str = Field(max_length=24)
    actor_user_id: int | None = Field(default=None, foreign_key="user.id")
    actor_label: str = Field(default="", max_length=254)
    # made as the port's staff (a reviewer's step, or an administrator's for another organization):
    # its maker is named to the staff only, whatever roles the person has later
    by_staff: bool = Field(default=False)
    reason: str = Field(default="")
    checklist: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    at: dt.datetime = Field(default_factory=utcnow, index=True)


class Notification(SQLModel, table=True):
    """A message for the members of an organization (or one user), shown in the app until read."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    text: str = Field(max_length=500)
    link: str = Field(default="", max_length=300)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    read_at: dt.datetime | None = None


class Objection(SQLModel, table=True):
    """An objection (异议) filed during a listing's publicity period; while open, it holds the listing."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    item_id: int = Field(index=True)
    organization_id: int = Field(foreign_key="organization.id")  # the objecting organization
    user_id: int | None = Field(default=None, foreign_key="user.id")
    reason: str
    status: str = Field(default="open", max_length=12, index=True)  # open | upheld | dismissed
    answer: str = Field(default="")
    answered_by: str = Field(default="", max_length=254)
    created_at: dt.datetime = Field(default_factory=utcnow)
    answered_at: dt.datetime | None = None


class FieldSpec(SQLModel):
    """One field of a schema, or an API's input or output."""

    name: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=500)
    unit: str | None = Field(default=None, max_length=40)
