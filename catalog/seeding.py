"""Load the seed catalog (``seed/``) through the services, in one transaction, idempotently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from catalog.accounts.models import Organization, OrganizationCreate
from catalog.accounts.services import import_organization
from catalog.audit.services import record
from catalog.authorizations.models import AuthorizationCreate
from catalog.authorizations.services import import_authorization
from catalog.datasets.assessments import import_assessment
from catalog.datasets.models import AssessmentCreate, DatasetCreate
from catalog.datasets.services import import_dataset
from catalog.errors import Invalid
from catalog.licences.models import LicenceCreate
from catalog.licences.services import import_licence
from catalog.permissions import Actor
from catalog.pricing.caps import import_cap
from catalog.pricing.models import CapCreate
from catalog.products.models import ProductCreate
from catalog.products.services import import_product
from catalog.registrations.services import register_imported
from catalog.sectors.models import SectorCreate
from catalog.sectors.services import import_sector
from catalog.settings import DEFAULT_IMPLEMENTING_BODY

M = TypeVar("M", bound=BaseModel)

Progress = Callable[[int], Any]


def read_yaml(path: Path) -> Any:
    """A YAML file of the seed, read by libyaml's safe loader where PyYAML has it (ten times faster than
    the pure-Python one: the seed's 4 MB of YAML in half a second instead of four)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = read_yaml(path)
    except yaml.YAMLError as exc:
        raise Invalid(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise Invalid(f"{path.name}: the file must hold a list of items")
    return data


def _records(seed_dir: Path, pattern: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(seed_dir.glob(pattern)):
        for item in _read(path):
            yield path.name, item


def _validated(model: type[M], source: str, item: dict[str, Any], key: str) -> M:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "item"
        raise Invalid(f"{source}: {item.get(key, '?')}: {where}: {first['msg']}") from None


def seed_counts(seed_dir: Path) -> dict[str, int]:
    """How many items of each kind the seed files hold."""
    return {
        "sectors": len(_read(seed_dir / "sectors.yaml")),
        "licences": len(_read(seed_dir / "licences.yaml")),
        "organizations": len(_read(seed_dir / "organizations.yaml")),
        "datasets": sum(1 for _ in _records(seed_dir, "datasets/*.yaml")),
        "authorizations": sum(1 for _ in _records(seed_dir, "authorizations.yaml")),
        "assessments": sum(1 for _ in _records(seed_dir, "assessments.yaml")),
        "price_caps": sum(1 for _ in _records(seed_dir, "price_caps.yaml")),
        "products": sum(1 for _ in _records(seed_dir, "products/*.yaml")),
    }


def catalog_is_empty(session: Session) -> bool:
    """True before anything has been loaded (``catalog serve --demo`` seeds only then)."""
    return session.exec(select(func.count()).select_from(Organization)).one() == 0


def _load_products(session: Session, actor: Actor, seed_dir: Path, tick: Progress) -> int:
    """The seed's products with their registration materials, in the order of their listing dates (so
    their listing numbers follow them); listed ones registered on that date."""
    materials = {m["slug"]: m for _, m in _records(seed_dir, "product_materials.yaml")}
    products = [
        _validated(ProductCreate, source, {**item, **materials.get(item.get("slug"), {})}, "slug")
        for source, item in _records(seed_dir, "products/*.yaml")
    ]
    products.sort(key=lambda p: (p.listed_at or dt.date.max, p.slug))
    created = 0
    for product in products:
        if import_product(session, actor, product):
            register_imported(session, actor, "product", product)
            created += 1
        tick(1)
    return created


def load_seed(
    session: Session,
    actor: Actor,
    seed_dir: Path,
    progress: Progress | None = None,
    *,
    with_products: bool = True,
    implementing_body: str = DEFAULT_IMPLEMENTING_BODY,
) -> dict[str, int]:
    """Create every seed item that does not exist yet; the number created of each kind.

    ``with_products=False`` loads only what products refer to (sectors, licences, organizations,
    datasets and their assessments, authorizations and their caps), as the benchmark does before it
    adds its own generated products. An authorization without a ``grantor`` is granted by
    ``implementing_body`` (an organization's slug).

    Every item is validated before it is written; an invalid file raises :class:`Invalid` naming the
    item, and the caller's transaction rolls back, so nothing is half-loaded.
    """
    tick = progress or (lambda _n: None)
    created: dict[str, int] = {}

    def each(kind: str, pattern: str, model: type[M], key: str, load: Callable[[M], bool]) -> None:
        created[kind] = 0
        for source, item in _records(seed_dir, pattern):
            created[kind] += load(_validated(model, source, item, key))
            tick(1)

    def dataset(data: DatasetCreate) -> bool:
        if not import_dataset(session, actor, data):
            return False
        register_imported(session, actor, "dataset", data)
        return True

    sectors = iter(range(10**6))  # their order in the file is their position
    each(
        "sectors",
        "sectors.yaml",
        SectorCreate,
        "slug",
        lambda d: import_sector(session, actor, d, next(sectors)),
    )
    each("licences", "licences.yaml", LicenceCreate, "code", lambda d: import_licence(session, actor, d))
    each(
        "organizations",
        "organizations.yaml",
        OrganizationCreate,
        "slug",
        lambda d: import_organization(session, actor, d),
    )
    each("datasets", "datasets/*.yaml", DatasetCreate, "code", dataset)
    each(
        "assessments",
        "assessments.yaml",
        AssessmentCreate,
        "dataset",
        lambda d: import_assessment(session, d),
    )
    each(
        "authorizations",
        "authorizations.yaml",
        AuthorizationCreate,
        "code",
        lambda d: import_authorization(session, actor, d, implementing_body),
    )
    each("price_caps", "price_caps.yaml", CapCreate, "authorization", lambda d: import_cap(session, d))
    created["products"] = _load_products(session, actor, seed_dir, tick) if with_products else 0
    if any(created.values()):
        record(session, actor, "catalog.seed", "catalog", "seed", summary=f"loaded seed catalog: {created}")
    return created
