"""Public pages of registrations: the verification page of a code (/verify/{code}) and its printable
certificate with the QR code of that page; the owners' renewal."""

from __future__ import annotations

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.errors import CatalogError
from catalog.permissions import Actor
from catalog.registrations import services
from catalog.web import call, redirect_to, render, signed_in


async def verify(request: Request) -> Response:
    registration = await call(request, services.get_registration, request.path_params["code"])
    return render(request, "registrations/verify.html", {"r": registration, "error": None})


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG, made here (no service online)."""
    return segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)


async def certificate(request: Request) -> Response:
    registration = await call(request, services.get_registration, request.path_params["code"])
    address = request.app.state.settings.base_url + registration.verify_url
    return render(
        request,
        "registrations/certificate.html",
        {"r": registration, "qr": qr_svg(address), "address": address},
    )


@signed_in
async def renew(request: Request, actor: Actor) -> Response:
    code = request.path_params["code"]
    try:
        await call(request, services.renew, actor, code)
    except CatalogError as error:
        registration = await call(request, services.get_registration, code)
        return render(
            request, "registrations/verify.html", {"r": registration, "error": error}, status=error.status
        )
    return redirect_to(request, "registrations.verify", code=code, query={"renewed": "1"})


routes = [
    Route("/verify/{code}", verify, name="registrations.verify"),
    Route("/registrations/{code}/certificate", certificate, name="registrations.certificate"),
    Route("/registrations/{code}/renewal", renew, methods=["POST"], name="registrations.renew"),
]
