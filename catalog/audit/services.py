"""Writing and reading audit events. The log is append-only: nothing here updates or deletes, and no
page or API offers a way to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.audit.models import AuditEvent
from catalog.models_base import saved_id
from catalog.pagination import Page, PageParams
from catalog.permissions import Actor, can_administer, require


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction."""
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_label=actor.label[:200],  # an e-mail address may be longer than the column
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary,
        before=before,
        after=after,
    )
    session.add(event)
    session.flush()
    return event


class AuditFilters(PageParams):
    target: str = Field(default="", max_length=160)  # "user:12", or a type ("user") or id alone
    actor: str = Field(default="", max_length=254)  # e-mail address or part of it
    action: str = Field(default="", max_length=64)  # exact, or a prefix ending in "." ("token.")
    per_page: int = Field(default=50, ge=1, le=100)


class AuditEventPublic(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    summary: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def list_events(session: Session, actor: Actor, filters: AuditFilters) -> Page[AuditEventPublic]:
    """The audit log, newest first, for administrators."""
    require(can_administer(actor), actor, "only administrators read the audit log")
    query = select(AuditEvent)
    if filters.target:
        kind, _, ident = filters.target.partition(":")
        if ident:
            query = query.where(AuditEvent.target_type == kind, AuditEvent.target_id == ident)
        else:
            query = query.where((AuditEvent.target_type == kind) | (AuditEvent.target_id == kind))
    if filters.actor:
        query = query.where(col(AuditEvent.actor_label).icontains(filters.actor.strip()))
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(col(AuditEvent.action).startswith(filters.action))
        else:
            query = query.where(AuditEvent.action == filters.action)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AuditEvent.id).desc()).offset(filters.offset).limit(filters.per_page)
    )
    return Page[AuditEventPublic](
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        items=[
            AuditEventPublic(
                id=saved_id(e),
                at=e.at,
                actor=e.actor_label,
                action=e.action,
                target=f"{e.target_type}:{e.target_id}",
                summary=e.summary,
                before=e.before,
                after=e.after,
            )
            for e in rows
        ],
    )
