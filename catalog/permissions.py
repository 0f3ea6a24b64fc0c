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


def require_person(actor: Actor) -> int:
    """What a person does with their own account (its tokens, a message they sign) needs a person, not
    the service itself, which ``require_user`` lets through: 401 otherwise; the person's user id."""
    require_user(actor)
    if actor.user_id is None:  # the service itself (timers, the CLI) has no account of its own
        raise Unauthorized("this is done with a person's own account, not by the service itself")
    return actor.user_id


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


def listing_organizations(actor: Actor) -> frozenset[int] | None:
    """The organizations whose datasets and products the actor manages (lists, edits, moves): those
    they own, or ``None`` for every one (administrators). The forms' choice of provider asks it."""
    return None if actor.is_admin else actor.owner_of


def can_manage_listings_of(actor: Actor, organization_id: int) -> bool:
    """Owners of an organization manage its datasets and products (administrators any)."""
    managed = listing_organizations(actor)
    return managed is None or organization_id in managed


def can_create_listings(actor: Actor) -> bool:
    """Owners of an organization (and administrators) create its datasets and products."""
    return actor.is_admin or bool(actor.owner_of)


def can_use_workspace(actor: Actor) -> bool:
    """The workspace shows an organization's listings to its members (and administrators)."""
    return actor.is_admin or bool(actor.organizations)


def acts_for_an_organization(actor: Actor) -> bool:
    """Following, objecting and the requests pages are done on behalf of one of the actor's organizations."""
    return bool(actor.organizations)


def can_review(actor: Actor) -> bool:
    return actor.is_admin or actor.is_reviewer


def can_review_listing_of(actor: Actor, provider_id: int) -> bool:
    """A reviewer reviews other organizations' listings, never their own (administrators may)."""
    return can_review(actor) and (actor.is_admin or provider_id not in actor.organizations)


def can_follow_listing_work(actor: Actor, provider_id: int) -> bool:
    """An item's steps and history are seen by its organization's members and owners and by reviewers."""
    return can_review(actor) or provider_id in actor.organizations  # owners are members too


def can_see_every_objection(actor: Actor, provider_id: int) -> bool:
    """Reviewers and the item's owners see every objection to it; others see their organization's own."""
    return can_review(actor) or can_manage_listings_of(actor, provider_id)


def can_request_access(actor: Actor) -> bool:
    """Members of an organization request access on its behalf."""
    return actor.user_id is not None and bool(actor.organizations)


# The sides of an access request. Each is a set of organizations, which the request lists filter by
# in SQL (``requests.services``: "my requests", "incoming requests") and the predicates below test
# one request against; administrators act as any request's provider but have no list of every one.
def requesting_organizations(actor: Actor) -> frozenset[int]:
    """The organizations whose requests are the actor's own ("my requests"): every one they are in."""
    return actor.organizations


def providing_organizations(actor: Actor) -> frozenset[int]:
    """The organizations whose incoming requests the actor answers ("incoming requests"): those they own."""
    return actor.owner_of


def is_requester_of(actor: Actor, requester_org_id: int) -> bool:
    """The actor is on a request's requesting side: a member of the requesting organization."""
    return requester_org_id in requesting_organizations(actor)


def is_provider_of(actor: Actor, provider_org_id: int) -> bool:
    """The actor answers a request for the provider: one of its owners, or an administrator."""
    return actor.is_admin or provider_org_id in providing_organizations(actor)


def can_request_product_of(actor: Actor, requester_org_id: int, provider_org_id: int) -> bool:
    """An organization requests access to other organizations' products, never to its own, nor to
    those of another organization of the same person."""
    return requester_org_id != provider_org_id and provider_org_id not in actor.organizations


def can_view_request(actor: Actor, requester_org_id: int, provider_org_id: int) -> bool:
    """A request is seen by the requesting organization, the provider's owners and administrators."""
    return is_requester_of(actor, requester_org_id) or is_provider_of(actor, provider_org_id)


def can_answer_request(actor: Actor, requester_org_id: int, provider_org_id: int) -> bool:
    """The provider's owners answer a request, but not one their own organization made: another owner
    does (administrators answer any)."""
    if actor.is_admin:
        return True
    return is_provider_of(actor, provider_org_id) and not is_requester_of(actor, requester_org_id)


def can_open_request_for_good(actor: Actor) -> bool:
    """Opening a request marks the other side's messages read and shows the delivery details once (then
    erases them): a change, which a read-scoped token cannot make; it only looks."""
    return actor.can_write


def can_manage_tokens_of(actor: Actor, user_id: int) -> bool:
    """A person manages their own API tokens; administrators anyone's."""
    return actor.is_admin or (actor.user_id is not None and actor.user_id == user_id)


def can_create_tokens(actor: Actor) -> bool:
    """Tokens are made signed in or with the CLI, never with a token: a leaked one cannot mint more."""
    return not actor.via_token


def can_revoke_tokens(actor: Actor) -> bool:
    """Revoking writes: a read-scoped token cannot."""
    return actor.can_write


def can_change_password(actor: Actor) -> bool:
    """Only a signed-in browser changes its account's password, never a token or the CLI."""
    return not actor.via_token and actor.session_id is not None


def can_administer(actor: Actor) -> bool:
    """Users, organizations, roles, licences, sectors and the audit log."""
    return actor.is_admin


def can_import_catalog(actor: Actor) -> bool:
    """Loading seed or import files writes any state directly: administrators and the system only."""
    return actor.is_admin


# The predicates the page templates ask (``web.make_environment`` makes them template globals).
TEMPLATE_PREDICATES = {
    f.__name__: f for f in (acts_for_an_organization, can_administer, can_review, can_use_workspace)
}


def require(allowed: bool, actor: Actor, message: str = "your account may not do this") -> None:
    """401 for an anonymous caller, 403 for one whose role does not allow it."""
    require_user(actor)
    if not allowed:
        raise Forbidden(message)
