"""What a listing's input names that both catalogs share: its provider and its sectors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from catalog.accounts.models import Organization
from catalog.sectors.models import Sector


def provider_and_sectors(
    session: Session, provider: str, sectors: Sequence[str]
) -> tuple[Organization | None, list[Sector], dict[str, str]]:
    """The organization of slug ``provider`` and the sectors of slugs ``sectors``, with a problem
    for each of the two fields (``provider``, ``sectors``) naming one the catalog does not have."""
    organization = session.exec(select(Organization).where(Organization.slug == provider)).first()
    found = list(session.exec(select(Sector).where(col(Sector.slug).in_(sectors))))
    problems = {}
    if organization is None:
        problems["provider"] = f"no organization {provider!r}"
    if len(found) != len(set(sectors)):
        problems["sectors"] = f"unknown sector in {sectors}"
    return organization, found, problems
