"""Public pages of the authorizations (27号 art. 18): the list, filtered, and one authorization."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.authorizations import services
from catalog.authorizations.states import AuthorizationStatus
from catalog.web import call, query_model, render


async def browse(request: Request) -> Response:
    filters = query_model(request, services.AuthorizationFilters, per_page=50)
    page = await call(request, services.list_authorizations, filters)
    operators = await call(request, services.operator_choices)
    context = {
        "page": page,
        "filters": filters,
        "operators": operators,
        "statuses": list(AuthorizationStatus),
    }
    return render(request, "authorizations/list.html", context)


async def detail(request: Request) -> Response:
    authorization = await call(request, services.get_authorization, request.path_params["code"])
    return render(request, "authorizations/detail.html", {"a": authorization})


routes = [
    Route("/authorizations", browse, name="authorizations.list"),
    Route("/authorizations/{code}", detail, name="authorizations.detail"),
]
