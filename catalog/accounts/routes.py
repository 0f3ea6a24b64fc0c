"""Organization pages (login, registration and account pages come with the accounts issue)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.accounts import services
from catalog.listings.filters import DatasetFilters, ProductFilters
from catalog.pagination import PageParams
from catalog.vocabularies import OrganizationKind
from catalog.web import call, query_model, render


async def browse(request: Request) -> Response:
    kind = request.query_params.get("kind") or None
    if kind not in (None, *OrganizationKind):
        kind = None
    paging = query_model(request, PageParams, per_page=60)
    page = await call(request, services.list_organizations, kind, paging)
    return render(request, "organizations/list.html", {"page": page, "kind": kind})


async def detail(request: Request) -> Response:
    slug = request.path_params["slug"]
    organization = await call(request, services.get_organization, slug)
    product_filters = query_model(request, ProductFilters, provider=[slug], sort="newest")
    dataset_filters = DatasetFilters(provider=[slug], sort="newest", per_page=50)
    search = request.app.state.search
    product_page = await search.page("product", product_filters, facets=False)
    dataset_page = await search.page("dataset", dataset_filters, facets=False)
    return render(
        request,
        "organizations/detail.html",
        {
            "organization": organization,
            "products": product_page,
            "datasets": dataset_page,
        },
    )


routes = [
    Route("/organizations", browse, name="organizations.list"),
    Route("/organizations/{slug}", detail, name="organizations.detail"),
]
