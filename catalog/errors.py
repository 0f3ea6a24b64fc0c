"""Domain errors: each has a stable code, an HTTP status and a message a person can act on."""

from __future__ import annotations

from typing import Any


class CatalogError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(CatalogError):
    code = "not_found"
    status = 404


class Invalid(CatalogError):
    """Input that fails validation; ``fields`` maps field names to messages."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields=fields or {})
        self.fields = fields or {}


class BadRequest(CatalogError):
    code = "bad_request"
    status = 400


class Unauthorized(CatalogError):
    code = "unauthorized"
    status = 401


class Forbidden(CatalogError):
    code = "forbidden"
    status = 403


class ChecklistIncomplete(Invalid):
    """A reviewer's approval without every item of the review checklist; ``fields`` names them."""

    code = "checklist_incomplete"


class Duplicate(CatalogError):
    """One of a kind exists already (an open request for the same product); ``existing`` names it."""

    code = "duplicate"
    status = 409


class MethodNotAllowed(CatalogError):
    code = "method_not_allowed"
    status = 405


class TooManyRequests(CatalogError):
    code = "too_many_requests"
    status = 429


class ServerError(CatalogError):
    code = "server_error"
    status = 500


class InvalidTransition(CatalogError):
    code = "invalid_transition"
    status = 409

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message, allowed=allowed)
        self.allowed = allowed


# The error the web layer answers with when Starlette itself refuses a request (no such route, a
# method the route does not take, a body it cannot parse).
HTTP_ERRORS: dict[int, type[CatalogError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    429: TooManyRequests,
}


def for_http_status(status: int, message: str) -> CatalogError:
    """The declared error of an HTTP status (a server error for one above 499, else a bad request)."""
    default = ServerError if status >= 500 else BadRequest
    return HTTP_ERRORS.get(status, default)(message)


class BackupError(CatalogError):
    """A backup or restore that could not be made (``catalog backup`` / ``catalog restore``)."""

    code = "backup_failed"
    status = 500
