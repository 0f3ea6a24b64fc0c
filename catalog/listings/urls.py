"""The site's URLs where no request is at hand (services, notifications, mail, the interop exports):
the one place outside the Route declarations that writes a path out. Each helper's path equals the
app's ``url_path_for`` of its route (``tests/unit/listings/test_urls.py`` checks them, so the two
cannot drift); a door with a request builds its URLs from route names instead."""

from __future__ import annotations


def home_url() -> str:
    """The home page (``portal.home``)."""
    return "/"


def products_url() -> str:
    """The product catalog's list page (``products.list``)."""
    return "/products"


def product_url(slug: str) -> str:
    """A product's public page (``products.detail``)."""
    return f"/products/{slug}"


def product_sample_url(slug: str) -> str:
    """A product's sample file (``products.sample``)."""
    return f"/products/{slug}/sample.csv"


def product_datapackage_url(slug: str) -> str:
    """A product's data package (``products.datapackage``)."""
    return f"/products/{slug}/datapackage.json"


def dataset_url(code: str) -> str:
    """A dataset's public page (``datasets.detail``)."""
    return f"/datasets/{code}"


def listing_url(kind: str, key: str) -> str:
    """The public page of a product (``kind`` "product") or a dataset."""
    return product_url(key) if kind == "product" else dataset_url(key)


def owner_item_url(kind: str, key: str) -> str:
    """A product's (``kind`` "product") or a dataset's page in its owner's workspace (``owner.item``)."""
    return f"/owner/{kind}s/{key}"


def owner_url() -> str:
    """The owner's workspace (``owner.workspace``)."""
    return "/owner"


def authorization_url(code: str) -> str:
    """An authorization's public page (``authorizations.detail``)."""
    return f"/authorizations/{code}"


def verify_url(code: str) -> str:
    """A registration's public verification page (``registrations.verify``)."""
    return f"/verify/{code}"


def certificate_url(code: str) -> str:
    """A registration's printable certificate (``registrations.certificate``)."""
    return f"/registrations/{code}/certificate"


def review_item_url(kind: str, key: str) -> str:
    """A product's or a dataset's page in the review queue (``review.item``)."""
    return f"/review/{kind}s/{key}"


def request_url(request_id: int) -> str:
    """An access request's page (``requests.detail``)."""
    return f"/requests/{request_id}"


def organization_url(slug: str) -> str:
    """An organization's public page (``organizations.detail``)."""
    return f"/organizations/{slug}"


def favicon_url() -> str:
    """The site's icon (``portal.favicon``)."""
    return "/favicon.ico"


def feed_url() -> str:
    """The Atom feed of listed products (``feeds.products``)."""
    return "/feed.atom"


def catalog_url() -> str:
    """The DCAT catalog (``dcat.catalog``)."""
    return "/catalog"


def api_product_url(slug: str) -> str:
    """A product in the JSON API (``api.products.detail``)."""
    return f"/api/v1/products/{slug}"


def api_dataset_url(code: str) -> str:
    """A dataset in the JSON API (``api.datasets.detail``)."""
    return f"/api/v1/datasets/{code}"


def api_licence_url(code: str) -> str:
    """A licence in the JSON API (``api.licences.detail``; the API spells it "licenses")."""
    return f"/api/v1/licenses/{code}"


def ckan_action_url(name: str) -> str:
    """A CKAN action (``ckan.action.v3``)."""
    return f"/api/3/action/{name}"


def password_reset_url(token: str) -> str:
    """The page that sets a new password with a mailed token (``accounts.reset``)."""
    return f"/password-reset/{token}"


def registration_url(token: str) -> str:
    """The link that finishes a registration with a mailed token (``accounts.confirm``)."""
    return f"/register/{token}"
