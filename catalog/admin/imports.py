"""Administration pages: bulk import of products or datasets from a file (``/admin/import``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from catalog.admin.gate import MANAGE_REFUSAL, gated
from catalog.bulk_import import services as imports
from catalog.bulk_import.files import SUFFIXES
from catalog.errors import CatalogError
from catalog.i18n import N_
from catalog.permissions import Actor, can_import_catalog
from catalog.web import call, form_and_file, render


@gated(can_import_catalog, MANAGE_REFUSAL)
async def import_page(request: Request, actor: Actor) -> Response:
    """GET: the upload form. POST (multipart ``file``, ``kind``, ``dry_run``): check every row, import
    all or none, and show the report (422 when any row is bad)."""
    if request.method == "GET":
        return _page(request, {})
    limit = request.app.state.settings.max_upload_kb * 1024
    values: dict[str, list[str]] = {}
    try:
        values, upload = await form_and_file(request, "file", limit)
    except CatalogError as error:
        return _page(request, values, message=error.message)
    kind = (values.get("kind") or [""])[0]
    form = {"kind": kind, "dry_run": bool(values.get("dry_run"))}
    if upload is None:
        return _page(request, form, message=N_("Choose a CSV, XLSX or JSON file."))
    name, content = upload
    if len(content) > limit:
        return _page(request, form, message=N_("The file is larger than the upload limit."))
    try:
        report = await call(
            request,
            imports.import_file,
            actor,
            name,
            content,
            kind if kind in imports.IMPORT_KINDS else None,
            dry_run=form["dry_run"],
        )
    except CatalogError as error:  # the catalog changed while importing: nothing was written
        return _page(request, form, message=error.message)
    return _page(request, form, report=report)


def _page(
    request: Request,
    form: dict[str, Any],
    report: imports.ImportReport | None = None,
    message: str | None = None,
) -> Response:
    status = 422 if message or (report is not None and report.problems) else 200
    context = {
        "form": form,
        "report": report,
        "message": message,
        "kinds": imports.IMPORT_KINDS,
        "accept": ",".join(SUFFIXES),
    }
    return render(request, "admin/import.html", context, status=status)


routes: list[BaseRoute] = [
    Route("/admin/import", import_page, methods=["GET", "POST"], name="admin.import"),
]
