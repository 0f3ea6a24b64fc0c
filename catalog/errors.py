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


class InvalidTransition(CatalogError):
    code = "invalid_transition"
    status = 409

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message, allowed=allowed)
        self.allowed = allowed
