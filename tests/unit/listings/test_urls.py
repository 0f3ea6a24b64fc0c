"""The URL helpers of ``catalog/listings/urls.py`` give each route's own path, so that a link built
without a request (a notification, a mail, an export) and one built from the route's name agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette

from catalog.app import create_app
from catalog.listings import urls
from tests.conftest import make_settings

# helper, its arguments, the route it stands for and that route's parameters (Chinese and reserved
# characters included: neither side escapes them)
CASES: list[tuple[Callable[..., str], tuple[Any, ...], str, dict[str, Any]]] = [
    (urls.home_url, (), "portal.home", {}),
    (urls.products_url, (), "products.list", {}),
    (urls.product_url, ("淮安-交通",), "products.detail", {"slug": "淮安-交通"}),
    (urls.product_sample_url, ("p-1",), "products.sample", {"slug": "p-1"}),
    (urls.product_datapackage_url, ("p-1",), "products.datapackage", {"slug": "p-1"}),
    (urls.dataset_url, ("HA-001",), "datasets.detail", {"code": "HA-001"}),
    (urls.owner_item_url, ("product", "p-1"), "owner.item", {"kinds": "products", "key": "p-1"}),
    (urls.owner_item_url, ("dataset", "HA-001"), "owner.item", {"kinds": "datasets", "key": "HA-001"}),
    (urls.review_item_url, ("product", "p-1"), "review.item", {"kinds": "products", "key": "p-1"}),
    (urls.review_item_url, ("dataset", "HA-001"), "review.item", {"kinds": "datasets", "key": "HA-001"}),
    (urls.request_url, (42,), "requests.detail", {"id": 42}),
    (urls.owner_url, (), "owner.workspace", {}),
    (urls.verify_url, ("HADP-DJ-2026-00001",), "registrations.verify", {"code": "HADP-DJ-2026-00001"}),
    (
        urls.certificate_url,
        ("HADP-DJ-2026-00001",),
        "registrations.certificate",
        {"code": "HADP-DJ-2026-00001"},
    ),
    (urls.authorization_url, ("HADP-SQ-2025-001",), "authorizations.detail", {"code": "HADP-SQ-2025-001"}),
    (urls.organization_url, ("huaian-data",), "organizations.detail", {"slug": "huaian-data"}),
    (urls.favicon_url, (), "portal.favicon", {}),
    (urls.feed_url, (), "feeds.products", {}),
    (urls.catalog_url, (), "dcat.catalog", {}),
    (urls.api_product_url, ("p-1",), "api.products.detail", {"slug": "p-1"}),
    (urls.api_dataset_url, ("HA-001",), "api.datasets.detail", {"code": "HA-001"}),
    (urls.api_licence_url, ("CC-BY-4.0",), "api.licences.detail", {"code": "CC-BY-4.0"}),
    (urls.ckan_action_url, ("help_show",), "ckan.action.v3", {"name": "help_show"}),
    (urls.password_reset_url, ("t0k3n",), "accounts.reset", {"token": "t0k3n"}),
    (urls.registration_url, ("t0k3n",), "accounts.confirm", {"token": "t0k3n"}),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Starlette:
    return create_app(make_settings(tmp_path_factory.mktemp("var")))


@pytest.mark.parametrize(
    ("helper", "args", "route", "params"), CASES, ids=lambda c: getattr(c, "__name__", None)
)
def test_helper_gives_its_routes_path(
    app: Starlette, helper: Callable[..., str], args: tuple[Any, ...], route: str, params: dict[str, Any]
) -> None:
    assert helper(*args) == app.url_path_for(route, **params)


def test_listing_url_is_the_public_page_of_either_kind() -> None:
    assert urls.listing_url("product", "p-1") == urls.product_url("p-1")
    assert urls.listing_url("dataset", "HA-001") == urls.dataset_url("HA-001")


def test_every_helper_is_checked() -> None:
    helpers = {name for name in vars(urls) if name.endswith("_url") and callable(getattr(urls, name))}
    checked = {helper.__name__ for helper, *_ in CASES} | {"listing_url"}
    assert helpers == checked
