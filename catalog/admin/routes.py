"""Administration pages: the targets dashboard, site settings, pricing check and disclosure report."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
