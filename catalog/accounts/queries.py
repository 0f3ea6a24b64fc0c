"""Reads of organizations that other packages need, each in a fixed number of queries whatever the
number of organizations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.accounts.models import Organization, OrganizationPublic
from catalog.accounts.services import listed_counts_by_provider, organization_public


def organizations_by_slug(session: Session, slugs: Iterable[str]) -> dict[str, OrganizationPublic]:
    """The organizations of ``slugs`` (``get_organization``'s answer for each, suspended ones too), by
    slug in slug order, in three queries; a slug no organization has is left out."""
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    rows = session.exec(select(Organization).where(col(Organization.slug).in_(wanted)))
    found = {org.slug: org for org in rows}
    products, datasets = listed_counts_by_provider(session)
    return {slug: organization_public(found[slug], products, datasets) for slug in wanted if slug in found}


def organizations_created(session: Session, slugs: Iterable[str]) -> dict[str, dt.datetime]:
    """When each organization of ``slugs`` was created (``OrganizationPublic`` does not carry it)."""
    rows = session.exec(
        select(Organization.slug, Organization.created_at).where(col(Organization.slug).in_(set(slugs)))
    )
    return dict(rows.all())


def slugs_and_codes(session: Session) -> dict[int, tuple[str, str]]:
    """Each organization's slug and unified social credit code, by its id."""
    return {o.id: (o.slug, o.code) for o in session.exec(select(Organization)) if o.id is not None}


def organizations_by_id(session: Session) -> dict[int, Organization]:
    """Every organization, by its id."""
    return {o.id: o for o in session.exec(select(Organization)) if o.id is not None}


def organization_names(session: Session) -> dict[int, str]:
    """Every organization's name, by its id."""
    rows = session.exec(select(Organization.id, Organization.name))
    return {org_id: name for org_id, name in rows if org_id is not None}


def count_by_kind(session: Session) -> dict[str, int]:
    """How many organizations there are of each kind."""
    rows = session.exec(select(Organization.kind, func.count()).group_by(col(Organization.kind)))
    return dict(rows.all())


def slugs_codes_suspended(session: Session) -> list[tuple[str, str, bool]]:
    """Every organization's slug, unified social credit code and whether it is suspended."""
    return list(session.exec(select(Organization.slug, Organization.code, Organization.suspended)).all())
