"""The public disclosure pages: the years, one year's disclosure (as published, or as the catalog
stands while it is not yet published) and its XLSX."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.stats import disclosure, exports
from catalog.web import call, render


async def index(request: Request) -> Response:
    published = await call(request, disclosure.published_years)
    years = disclosure.years()
    return render(request, "disclosure/index.html", {"years": years, "published": published})


async def year_page(request: Request) -> Response:
    year = request.path_params["year"]
    found = await call(request, disclosure.disclosure, year, request.app.state.settings.implementing_body)
    years = disclosure.years()
    context = {"d": found, "year": year, "years": years, "error": None, "admin": False}
    return render(request, "disclosure/report.html", context)


async def year_xlsx(request: Request) -> Response:
    year = request.path_params["year"]
    found = await call(request, disclosure.disclosure, year, request.app.state.settings.implementing_body)
    content = await run_in_threadpool(disclosure.disclosure_xlsx, found["report"])
    name = f"huaian-data-port-disclosure-{year}.xlsx"
    return Response(
        content,
        media_type=exports.MEDIA_TYPES["xlsx"],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


routes = [
    Route("/disclosure", index, name="disclosure.index"),
    Route("/disclosure/{year:int}.xlsx", year_xlsx, name="disclosure.xlsx"),
    Route("/disclosure/{year:int}", year_page, name="disclosure.year"),
]
