"""Seed integrity: the demo catalog is complete, consistent and loads idempotently."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from catalog import db
from catalog.audit.models import AuditEvent
from catalog.datasets.models import Dataset
from catalog.errors import Invalid
from catalog.indexing.models import ChangeLog
from catalog.listings.states import ListingStatus
from catalog.permissions import SYSTEM
from catalog.products.models import DataProduct, ProductSource
from catalog.seeding import load_seed
from catalog.vocabularies import OrganizationKind
from tests.conftest import SEED_DIR


def count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[arg-type]


def test_seed_holds_the_catalog_the_issue_asks_for(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        assert count(session, DataProduct) >= 320
        assert count(session, DataProduct, DataProduct.status == ListingStatus.LISTED) >= 250
        assert count(session, Dataset) >= 60
        other_states = set(session.exec(select(DataProduct.status).distinct())) - {"listed"}
        assert {"draft", "submitted", "in_review", "publicity", "delisted"} <= other_states


def test_seed_organizations_cover_departments_operators_and_enterprises(seeded_engine: Engine) -> None:
    from catalog.accounts.models import Organization

    with Session(seeded_engine) as session:
        names = set(session.exec(select(Organization.name)))
        kinds = dict(session.exec(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    assert {"淮安市数据局", "淮安市交通运输局", "淮安市农业农村局", "淮安市文化广电和旅游局"} <= names
    assert kinds[OrganizationKind.OPERATOR] >= 12 and kinds[OrganizationKind.ENTERPRISE] >= 5


def test_no_two_products_share_a_title(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        titles = list(session.exec(select(DataProduct.title)))
        titles_en = list(session.exec(select(DataProduct.title_en)))
    assert len(titles) == len(set(titles))
    assert len(titles_en) == len(set(titles_en))


def test_every_product_has_lineage_to_existing_datasets(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        without = session.exec(
            select(DataProduct.slug).where(~DataProduct.id.in_(select(ProductSource.product_id)))  # type: ignore[union-attr]
        ).all()
        assert without == []


def test_every_listed_product_is_complete(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        listed = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.LISTED)).all()
    for product in listed:
        assert product.listing_no and product.listed_at, product.slug
        assert product.title_en and product.summary and len(product.description) >= 30, product.slug
        assert product.security_grade != "core", product.slug
        assert not product.personal_info or product.deidentification, product.slug
    years = {p.listed_at.year for p in listed if p.listed_at}
    assert years == {2025, 2026}


@pytest.mark.both_backends
def test_loading_twice_changes_nothing(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        before = (count(session, DataProduct), count(session, ChangeLog), count(session, AuditEvent))
    with db.session_scope(seeded_engine) as session:
        created = load_seed(session, SYSTEM, SEED_DIR)
    assert set(created.values()) == {0}
    with Session(seeded_engine) as session:
        assert (count(session, DataProduct), count(session, ChangeLog), count(session, AuditEvent)) == before


@pytest.mark.both_backends
def test_invalid_seed_file_names_the_item_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "seed"
    bad.mkdir()
    for name in ("sectors.yaml", "licences.yaml", "organizations.yaml"):
        (bad / name).write_text((SEED_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (bad / "datasets").mkdir()
    (bad / "datasets" / "x.yaml").write_text(
        "- code: HA-X-001\n  title: 坏数据\n  title_en: Bad\n  description: 缺少很多字段的数据集条目\n",
        encoding="utf-8",
    )
    with pytest.raises(Invalid, match="HA-X-001"), db.session_scope(engine) as session:
        load_seed(session, SYSTEM, bad)
    with Session(engine) as session:
        from catalog.sectors.models import Sector

        assert count(session, Sector) == 0
