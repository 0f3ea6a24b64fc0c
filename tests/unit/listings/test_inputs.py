"""What a listing's input names, checked once for both catalogs (``listings/inputs.py``)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog.accounts.models import Organization
from catalog.listings.inputs import provider_and_sectors
from catalog.sectors.models import Sector


def test_the_provider_and_sectors_an_input_names_are_found(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        org = session.exec(select(Organization)).first()
        sectors = session.exec(select(Sector.slug).limit(2)).all()
        assert org is not None and len(sectors) == 2
        provider, found, problems = provider_and_sectors(session, org.slug, sectors)
    assert provider is not None and provider.slug == org.slug
    assert sorted(s.slug for s in found) == sorted(sectors) and problems == {}


def test_an_unknown_provider_or_sector_is_a_problem_of_its_field(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        sector = session.exec(select(Sector.slug)).first()
        assert sector is not None
        provider, found, problems = provider_and_sectors(session, "nobody", [sector, "no-such-sector"])
    assert provider is None and [s.slug for s in found] == [sector]
    assert problems == {
        "provider": "no organization 'nobody'",
        "sectors": f"unknown sector in {[sector, 'no-such-sector']}",
    }
