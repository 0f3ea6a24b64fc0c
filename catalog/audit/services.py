"""Writing audit events. The log is append-only: nothing here updates or deletes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from catalog.audit.models import AuditEvent
from catalog.permissions import Actor


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
        actor_label=actor.label,
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
