"""The door of the administration pages: anonymous visitors go to sign in, signed-in users without the
page's permission get 403, and a read-scope token may look but not change."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from catalog.i18n import N_
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.web import signed_in

Handler = Callable[[Request, Actor], Awaitable[Response]]
Page = Callable[[Request], Awaitable[Response]]


def gated(permission: Callable[[Actor], bool] | None, refusal: str) -> Callable[[Handler], Page]:
    """A page ``handler(request, actor)`` behind the door; ``permission`` None leaves the decision to
    the service the page calls (the pricing check and the disclosure report let reviewers in)."""

    def wrap(handler: Handler) -> Page:
        @signed_in
        @functools.wraps(handler)
        async def page(request: Request, actor: Actor) -> Response:
            if permission is not None:
                require(permission(actor), actor, refusal)
            if request.method not in ("GET", "HEAD"):
                require_write(actor)
            return await handler(request, actor)

        return page

    return wrap


MANAGE_REFUSAL = N_("Only administrators manage the catalog.")
admin_page = gated(can_administer, MANAGE_REFUSAL)
signed_in_page = gated(None, MANAGE_REFUSAL)
