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
    created = dict.fromkeys(
        (
            "sectors",
            "licences",
            "organizations",
            "datasets",
            "assessments",
            "authorizations",
            "price_caps",
            "products",
        ),
        0,
    )
    for position, (source, item) in enumerate(_records(seed_dir, "sectors.yaml")):
        created["sectors"] += import_sector(
            session, actor, _validated(SectorCreate, source, item, "slug"), position
        )
        tick(1)
    for source, item in _records(seed_dir, "licences.yaml"):
        created["licences"] += import_licence(session, actor, _validated(LicenceCreate, source, item, "code"))
        tick(1)
    for source, item in _records(seed_dir, "organizations.yaml"):
        created["organizations"] += import_organization(
            session, actor, _validated(OrganizationCreate, source, item, "slug")
        )
        tick(1)
    for source, item in _records(seed_dir, "datasets/*.yaml"):
        created["datasets"] += import_dataset(session, actor, _validated(DatasetCreate, source, item, "code"))
        tick(1)
    for source, item in _records(seed_dir, "assessments.yaml"):
        created["assessments"] += import_assessment(
            session, _validated(AssessmentCreate, source, item, "dataset")
        )
        tick(1)
    for source, item in _records(seed_dir, "authorizations.yaml"):
        data = _validated(AuthorizationCreate, source, item, "code")
        created["authorizations"] += import_authorization(session, actor, data, implementing_body)
        tick(1)
    for source, item in _records(seed_dir, "price_caps.yaml"):
        created["price_caps"] += import_cap(session, _validated(CapCreate, source, item, "authorization"))
        tick(1)
    products = [
        _validated(ProductCreate, source, item, "slug")
        for source, item in (_records(seed_dir, "products/*.yaml") if with_products else ())
    ]
    # Listing numbers follow listing dates, so import in that order.
    products.sort(key=lambda p: (p.listed_at or dt.date.max, p.slug))
    for product in products:
        created["products"] += import_product(session, actor, product)
        tick(1)
    if any(created.values()):
        record(session, actor, "catalog.seed", "catalog", "seed", summary=f"loaded seed catalog: {created}")
    return created
