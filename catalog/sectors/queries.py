"""Reads of sectors that other packages need."""

from __future__ import annotations

from sqlmodel import Session, select

from catalog.sectors.models import Sector


def sector_slugs(session: Session) -> set[str]:
    """Every sector's slug."""
    return set(session.exec(select(Sector.slug)))
