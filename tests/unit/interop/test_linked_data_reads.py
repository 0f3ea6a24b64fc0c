"""The linked-data doors read the whole catalog in a fixed number of statements: the DCAT-AP export
(``/catalog.ttl``, ``/catalog.jsonld``) and the Dataspace Protocol catalog send as many statements for
the seeded catalog as for one with more products, datasets and providers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from catalog import db
from catalog.bulk_import import services as imports
from catalog.interop.dcat import read_catalog
from catalog.interop.rdf import catalog_version
from catalog.permissions import SYSTEM
from catalog.products.queries import listed_product_details
from catalog.settings import Settings
from catalog.stats import exports

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"

ADDED = 12  # products added to the seeded catalog, and as many datasets


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The statements ``engine`` sends inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def whole_catalog(session: Session) -> Any:
    """What the DCAT-AP export reads for one catalog version."""
    catalog_version(session)
    return read_catalog(session, listed_product_details(session))


def statements_of(engine: Engine, read: Callable[[Session], Any]) -> tuple[int, Any]:
    with Session(engine) as session, counted(engine) as statements:
        value = read(session)
    return len(statements), value


def add_listed_items(engine: Engine, settings: Settings) -> None:
    """``ADDED`` more listed products and datasets, copies of seeded ones under new names, through the
    bulk import; the products name new source datasets, so each brings its own relations."""
    with Session(engine) as session:
        products = json.loads(exports.export(session, SYSTEM, settings, "products", "json"))
        datasets = json.loads(exports.export(session, SYSTEM, settings, "datasets", "json"))
    products = [p for p in products if p["status"] == "listed"][:ADDED]
    datasets = [d for d in datasets if d["status"] == "listed"][:ADDED]
    for n, (product, dataset) in enumerate(zip(products, datasets, strict=True)):
        dataset.update(code=f"HA-COUNT-{n:03d}")
        product.update(id=f"counted-product-{n}", listing_no="", source_datasets=[dataset["code"]])
    with db.session_scope(engine) as session:
        for kind, items in (("datasets", datasets), ("products", products)):
            content = json.dumps(items, ensure_ascii=False).encode()
            report = imports.import_file(session, SYSTEM, f"{kind}.json", content, kind)
            assert report.imported == len(items) == ADDED, report.problems


def catalog_sizes(catalog: Any) -> tuple[int, ...]:
    return len(catalog.products), len(catalog.datasets)


def products_size(products: Any) -> tuple[int, ...]:
    return (len(products),)


@pytest.mark.parametrize(
    ("read", "sizes"),
    [(whole_catalog, catalog_sizes), (listed_product_details, products_size)],
    ids=["dcat-export", "dsp-catalog"],
)
def test_a_linked_data_door_reads_the_catalog_in_a_fixed_number_of_statements(
    seeded_engine: Engine,
    seeded_settings: Settings,
    read: Callable[[Session], Any],
    sizes: Callable[[Any], tuple[int, ...]],
) -> None:
    seeded, before = statements_of(seeded_engine, read)
    add_listed_items(seeded_engine, seeded_settings)
    grown, after = statements_of(seeded_engine, read)
    assert sizes(after) == tuple(n + ADDED for n in sizes(before))
    assert grown == seeded, f"{seeded} statements for the seeded catalog, {grown} with {ADDED} more"
