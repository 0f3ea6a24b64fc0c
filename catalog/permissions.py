"""Who may do what: one predicate per capability, used by every door (pages, API, CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog.listings.states import PUBLIC_STATES


@dataclass(frozen=True)
class Actor:
    """The person (or process) a service acts for."""

    user_id: int | None = None
    label: str = "anonymous"
    is_admin: bool = False
    is_reviewer: bool = False
    owner_of: frozenset[int] = field(default_factory=frozenset)  # organization ids
    member_of: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Actor()
SYSTEM = Actor(label="system", is_admin=True)


def can_see_all_states(actor: Actor) -> bool:
    """Reviewers and administrators see listings in every state."""
    return actor.is_admin or actor.is_reviewer


def can_view_listing(actor: Actor, status: str, provider_id: int) -> bool:
    """Public states are visible to all; the rest only to the provider's members and reviewers."""
    if status in PUBLIC_STATES or can_see_all_states(actor):
        return True
    return provider_id in actor.owner_of or provider_id in actor.member_of


def can_import_catalog(actor: Actor) -> bool:
    """Loading seed or import files writes any state directly: administrators and the system only."""
    return actor.is_admin
