"""Access requests, their timeline events and their message thread."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Index, text
from sqlmodel import Field, SQLModel, col

from catalog.models_base import utcnow
from catalog.requests.workflow import AWAITING_ANSWER, OPEN, RequestStatus

_OPEN = text(
    "status IN ({})".format(", ".join(f"'{state}'" for state in OPEN))
)  # the migration spells it out


class AccessRequest(SQLModel, table=True):
    __tablename__ = "access_request"
    # one open request per product and requesting organization, kept by the database itself
    __table_args__ = (
        Index(
            "uq_access_request_open",
            "product_id",
            "requester_org_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="data_product.id", index=True)
    requester_org_id: int = Field(foreign_key="organization.id", index=True)
    requester_user_id: int = Field(foreign_key="user.id", index=True)
    purpose: str = Field(default="")
    scenario: str = Field(default="")
    term_months: int = Field(default=12)
    expected_volume: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=200)
    licence_id: int = Field(foreign_key="licence.id")
    licence_version: int = Field(default=1)  # the version of the terms the requester agreed to
    status: str = Field(default=RequestStatus.SUBMITTED, max_length=24, index=True)
    due_at: dt.datetime | None = None  # the provider's answer is due
    delivery_method: str = Field(default="", max_length=24)
    delivery_details: str = Field(default="")  # shown to the requester once, after delivery
    delivery_expires_at: dt.datetime | None = None
    delivery_seen_at: dt.datetime | None = None
    attachment_name: str = Field(default="", max_length=200)  # the requester's supporting file, if any
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


# Overdue: waiting for the provider's answer past its due date. The rule for a request already read
# and the same rule as an SQL condition, side by side: the request pages and the figures use them.
def is_overdue(request: AccessRequest, now: dt.datetime) -> bool:
    """Whether the request waits for the provider's answer past its due date."""
    return request.status in AWAITING_ANSWER and request.due_at is not None and request.due_at < now


def overdue_sql(now: dt.datetime) -> ColumnElement[bool]:
    """``is_overdue`` as an SQL condition on ``access_request``."""
    return col(AccessRequest.status).in_(AWAITING_ANSWER) & (col(AccessRequest.due_at) < now)


class RequestEvent(SQLModel, table=True):
    """One step of a request's timeline."""

    __tablename__ = "request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="access_request.id", index=True, ondelete="CASCADE")
    actor_user_id: int | None = Field(default=None, foreign_key="user.id")
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str = Field(max_length=24)
    reason: str = Field(default="")
    at: dt.datetime = Field(default_factory=utcnow)


class RequestMessage(SQLModel, table=True):
    __tablename__ = "request_message"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="access_request.id", index=True, ondelete="CASCADE")
    author_user_id: int = Field(foreign_key="user.id")
    body: str
    at: dt.datetime = Field(default_factory=utcnow)
    read_at: dt.datetime | None = None


class Follow(SQLModel, table=True):
    """An organization following a product (new versions, delisting) or a provider (new products)."""

    # NULLs never clash in a unique constraint: one partial unique index per kind of follow
    __table_args__ = (
        Index(
            "uq_follow_product",
            "organization_id",
            "product_id",
            unique=True,
            sqlite_where=text("product_id IS NOT NULL"),
            postgresql_where=text("product_id IS NOT NULL"),
        ),
        Index(
            "uq_follow_provider",
            "organization_id",
            "provider_id",
            unique=True,
            sqlite_where=text("provider_id IS NOT NULL"),
            postgresql_where=text("provider_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="data_product.id", index=True)
    provider_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
