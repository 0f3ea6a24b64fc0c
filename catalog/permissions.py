"""Who may do what: one predicate per capability, used by every door (pages, API, CLI).

Roles: anonymous (reads public items); enterprise member (requests access, sees its organization's
requests); owner member (manages its organization's listings, answers requests for them); reviewer
(reviews listings); administrator (everything, users and organizations included). A personal API
token acts as its user, limited to its scope: a ``read`` token writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Actor:
    """The person (or process) a service acts for."""

    user_id: int | None = None
    label: str = "anonymous"
    is_admin: bool = False
    is_reviewer: bool = False
    owner_of: frozenset[int] = field(default_factory=frozenset)  # organization ids
    member_of: frozenset[int] = field(default_factory=frozenset)
    can_write: bool = True  # False for a read-scoped API token
    via_token: bool = False  # acting through an API token, not a signed-in browser
    is_system: bool = False  # the service itself (timers, seed, CLI): never a person, whatever the label
    session_id: str | None = None  # the signed-in browser's session (its stored digest)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.is_system

    @property
    def organizations(self) -> frozenset[int]:
        return self.owner_of | self.member_of


ANONYMOUS = Actor()
SYSTEM = Actor(label="system", is_admin=True, is_system=True)


def require_user(actor: Actor) -> None:
    """Anything but public reading needs an account: 401 without one."""
    if not actor.is_authenticated:
        raise Unauthorized("sign in, or send an API token as 'Authorization: Bearer <token>'")


def require_write(actor: Actor) -> None:
    """A change needs an account and, through the API, a token with the write scope."""
    require_user(actor)
    if not actor.can_write:
        raise Forbidden("this API token has the read scope only; create one with the write scope")


def can_see_all_states(actor: Actor) -> bool:
    """Reviewers and administrators see listings in every state."""
    return actor.is_admin or actor.is_reviewer


def can_view_listing(actor: Actor, provider_id: int, *, reachable: bool) -> bool:
    """A ``reachable`` item (public, or delisted and still at its address: ``listings.states.is_reachable``,
    which the caller reads, this layer knowing no listing states) is visible to all; the rest only to
    the provider's members and reviewers."""
    if reachable or can_see_all_states(actor):
        return True
    return provider_id in actor.organizations


def can_manage_listings_of(actor: Actor, organization_id: int) -> bool:
    """Owners of an organization manage its datasets and products (administrators any)."""
    return actor.is_admin or organization_id in actor.owner_of


def can_review(actor: Actor) -> bool:
    return actor.is_admin or actor.is_reviewer


def can_request_access(actor: Actor) -> bool:
    """Members of an organization request access on its behalf."""
    return actor.user_id is not None and bool(actor.organizations)


def can_view_request(actor: Actor, requester_org_id: int, provider_org_id: int) -> bool:
    """A request is seen by the requesting organization, the provider's owners and administrators."""
    return actor.is_admin or requester_org_id in actor.organizations or provider_org_id in actor.owner_of


def can_administer(actor: Actor) -> bool:
    """Users, organizations, roles, licences, sectors and the audit log."""
    return actor.is_admin


def can_import_catalog(actor: Actor) -> bool:
    """Loading seed or import files writes any state directly: administrators and the system only."""
    return actor.is_admin


def require(allowed: bool, actor: Actor, message: str = "your account may not do this") -> None:
    """401 for an anonymous caller, 403 for one whose role does not allow it."""
    require_user(actor)
    if not allowed:
        raise Forbidden(message)
