"""Domain errors: each has a stable code, an HTTP status and a message a person can act on."""

from __future__ import annotations

from typing import Any


class CatalogError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"
    status = 400
    when = ""  # when a door answers it, as the API reference says

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(CatalogError):
    code = "not_found"
    status = 404
    when = "no such item, or not one the caller may see"


class Invalid(CatalogError):
    """Input that fails validation; ``fields`` maps field names to messages."""

    code = "invalid"
    status = 422
    when = "the parameters or the body do not validate (with fields)"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields=fields or {})
        self.fields = fields or {}


class BadRequest(CatalogError):
    code = "bad_request"
    status = 400
    when = "the body is not JSON, or the form, a multipart body or the cookies cannot be read"


class Unauthorized(CatalogError):
    code = "unauthorized"
    status = 401
    when = "no account, or the bearer token is unknown, expired or revoked"


class Forbidden(CatalogError):
    code = "forbidden"
    status = 403
    when = "the role or the token's scope does not allow it"


class ChecklistIncomplete(Invalid):
    """A reviewer's approval without every item of the review checklist; ``fields`` names them."""

    code = "checklist_incomplete"
    when = "a reviewer's approval without every item of the review checklist (with fields)"


class OutsideAuthorization(Invalid):
    """A product built on datasets no authorization of its provider covers today (授权范围);
    ``datasets`` names them, by resource code."""

    code = "outside_authorization"
    when = (
        "a product submitted, approved or requested on source datasets outside every authorization"
        " of its provider in force (with datasets: their codes)"
    )

    def __init__(self, message: str, datasets: list[str]) -> None:
        super().__init__(message, fields={"source_datasets": ", ".join(datasets)})
        self.details["datasets"] = datasets
        self.datasets = datasets


class PriceOverCap(Invalid):
    """An industry-use price above the cap of the authorization the product is operated under
    (上限收费标准); ``cap`` says which: authorization, price model, amount, unit, effective date."""

    code = "price_over_cap"
    when = "a product submitted or approved with a price over its cap (with cap)"

    def __init__(self, message: str, cap: dict[str, object]) -> None:
        super().__init__(message, fields={"price": f"{cap['amount']} {cap['unit']}"})
        self.details["cap"] = cap
        self.cap = cap


class RegistrationLapsed(Invalid):
    """A product whose registration (登记) expired or was cancelled, asked for: renew it first."""

    code = "registration_expired"
    when = "an access request for a product whose registration has expired or been cancelled"


class Duplicate(CatalogError):
    """One of a kind exists already (an open request for the same product); ``existing`` names it."""

    code = "duplicate"
    status = 409
    when = "one of a kind exists already (with existing: the open one)"


class MethodNotAllowed(CatalogError):
    code = "method_not_allowed"
    status = 405
    when = "the route does not take this method"


class TooManyRequests(CatalogError):
    code = "too_many_requests"
    status = 429
    when = (
        "too many failed sign-ins from one client, or a file of the account still being read; wait, try again"
    )


class ServerError(CatalogError):
    code = "server_error"
    status = 500
    when = "the server failed to answer; it has been logged"


class InvalidTransition(CatalogError):
    code = "invalid_transition"
    status = 409
    when = "the item's state does not allow it (with allowed: the states open now)"

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message, allowed=allowed)
        self.allowed = allowed


class TooLarge(CatalogError):
    """A request body over the size limit (the middleware refuses it before any route runs)."""

    code = "too_large"
    status = 413
    when = "the request body is over the size limit"


class CsrfFailed(CatalogError):
    """A cookie-signed unsafe request without its CSRF token (the middleware refuses it)."""

    code = "csrf_failed"
    status = 403
    when = "a cookie-signed unsafe request without its CSRF token"


class BackupError(CatalogError):
    """A backup or restore that could not be made (``catalog backup`` / ``catalog restore``)."""

    code = "backup_failed"
    status = 500
    when = "catalog backup or catalog restore could not finish (the CLI)"


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


def declared() -> list[type[CatalogError]]:
    """Every error class declared here, in the order they are declared."""
    return [
        value
        for value in globals().values()
        if isinstance(value, type) and issubclass(value, CatalogError) and value is not CatalogError
    ]
