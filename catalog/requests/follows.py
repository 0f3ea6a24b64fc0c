"""Following: an organization follows a product (told of its new versions and delisting) or a
provider (told of each product it lists)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from catalog.accounts.models import Organization
from catalog.audit import services as audit
from catalog.errors import NotFound
from catalog.i18n import N_
from catalog.listings.models import Notification
from catalog.listings.states import is_reachable
from catalog.listings.urls import product_url
from catalog.permissions import Actor, acts_for_an_organization, require, require_write
from catalog.products.models import DataProduct
from catalog.requests.models import Follow


def _target(
    session: Session, product: str | None, provider: str | None, any_state: bool = False
) -> tuple[int | None, int | None]:
    if product:
        row = session.exec(select(DataProduct).where(DataProduct.slug == product)).first()
        if row is None or (not any_state and not is_reachable(row)):
            raise NotFound(f"no data product {product!r}")
        return row.id, None
    org = session.exec(select(Organization).where(Organization.slug == (provider or ""))).first()
    if org is None:
        raise NotFound(f"no organization {provider!r}")
    return None, org.id


def set_follow(
    session: Session,
    actor: Actor,
    *,
    product: str | None = None,
    provider: str | None = None,
    on: bool = True,
) -> bool:
    """Follow (or stop following) for the actor's first organization; whether it now follows."""
    require_write(actor)
    require(
        acts_for_an_organization(actor), actor, N_("Join an organization to follow products and providers.")
    )
    org_id = min(actor.organizations)
    try:  # unfollow whatever was followed, in any state since
        product_id, provider_id = _target(session, product, provider, any_state=not on)
    except NotFound:
        if on:
            raise
        return False  # nothing of that name is followed: whether a draft has it is not told
    existing = session.exec(
        select(Follow).where(
            Follow.organization_id == org_id,
            Follow.product_id == product_id,
            Follow.provider_id == provider_id,
        )
    ).first()
    if on and existing is None:
        try:
            with session.begin_nested():  # a follow made at the same moment: the index keeps one
                session.add(Follow(organization_id=org_id, product_id=product_id, provider_id=provider_id))
        except IntegrityError:
            return True
        audit.record(
            session, actor, "follow.add", "product" if product else "organization", product or provider or ""
        )
    elif not on and existing is not None:
        session.delete(existing)
        audit.record(
            session,
            actor,
            "follow.remove",
            "product" if product else "organization",
            product or provider or "",
        )
    session.flush()
    return on


def follows(
    session: Session, actor: Actor, *, product: str | None = None, provider: str | None = None
) -> bool:
    if not acts_for_an_organization(actor):
        return False
    try:
        product_id, provider_id = _target(session, product, provider)
    except NotFound:  # not followable (a draft)
        return False
    return (
        session.exec(
            select(Follow.id).where(
                Follow.organization_id == min(actor.organizations),
                Follow.product_id == product_id,
                Follow.provider_id == provider_id,
            )
        ).first()
        is not None
    )


def tell_followers(session: Session, product: DataProduct, what: str) -> int:
    """Notify the organizations following the product (and, for a new listing, its provider)."""
    followed = Follow.product_id == product.id
    if what == "listed":  # a provider's followers hear of its new products
        followed = followed | (Follow.provider_id == product.provider_id)
    query = select(Follow.organization_id).where(followed)
    orgs = set(session.exec(query).all())
    texts = {
        "listed": f"new product listed: {product.title}",
        "delisted": f"{product.title} has been delisted",
        "version": f"{product.title}: new version {product.version}",
    }
    for org_id in orgs:
        session.add(
            Notification(
                organization_id=org_id, text=texts.get(what, what)[:500], link=product_url(product.slug)
            )
        )
    return len(orgs)
