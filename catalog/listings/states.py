"""Listing states and the rules that read them: which the public may see (``is_public``/``public_sql``),
which are listed (``is_listed``/``listed_sql``), which the owner edits (``check_editable``) and that core
data is never listed (``check_not_core``). A rule has a predicate for rows already read and, where
queries need it, an SQL expression of the same rule beside it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlmodel import col

from catalog.errors import Invalid, InvalidTransition
from catalog.i18n import N_
from catalog.vocabularies import SecurityGrade


class ListingStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    PUBLICITY = "publicity"
    LISTED = "listed"
    DELISTED = "delisted"


# Listed items are public and requestable; items in publicity (公示) are public but only to object to.
FIRST_LISTING = dt.date(2020, 1, 1)  # no listing in any catalog this one takes in is older

PUBLIC_STATES = frozenset({ListingStatus.LISTED, ListingStatus.PUBLICITY})
# States in which an item has been through review and carries a listing date.
REVIEWED_STATES = frozenset({ListingStatus.PUBLICITY, ListingStatus.LISTED, ListingStatus.DELISTED})


def check_listing_date(status: str, listed_at: dt.date | None) -> None:
    """ValueError unless an item given in ``status`` (by an import file or the seed) has the listing
    date a reviewed state needs, a day from FIRST_LISTING to today."""
    if status in REVIEWED_STATES and listed_at is None:
        raise ValueError(f"status {status} needs listed_at")
    if listed_at is not None and not FIRST_LISTING <= listed_at <= dt.date.today():
        raise ValueError(f"listed_at must be a day from {FIRST_LISTING} to today")


class HasStatus(Protocol):
    status: str


def _status(item: HasStatus | str) -> str:
    return item if isinstance(item, str) else item.status


def is_public(item: HasStatus | str) -> bool:
    """Anyone sees it, and search holds it: listed, or in its publicity period (an item or its status)."""
    return _status(item) in PUBLIC_STATES


def public_sql(model: Any) -> ColumnElement[bool]:
    """``is_public`` as an SQL condition on a product or dataset table."""
    return col(model.status).in_(sorted(PUBLIC_STATES))


def is_listed(item: HasStatus | str) -> bool:
    """Listed: requestable, counted toward the targets, exported (CKAN, DCAT); publicity is not yet."""
    return _status(item) == ListingStatus.LISTED


def listed_sql(model: Any) -> ColumnElement[bool]:
    """``is_listed`` as an SQL condition on a product or dataset table."""
    return col(model.status) == ListingStatus.LISTED


def is_reachable(item: HasStatus | str) -> bool:
    """Public, or delisted: a delisted item stays at its address (with a notice) for whoever has it."""
    return is_public(item) or _status(item) == ListingStatus.DELISTED


# The states in which the owner edits an item itself: its drafts and what review sent back. A listed
# product is edited as a new version (``products/revisions.py``); nothing else is edited.
EDITABLE_STATES = frozenset({ListingStatus.DRAFT, ListingStatus.CHANGES_REQUESTED, ListingStatus.REJECTED})


def is_editable(item: HasStatus | str) -> bool:
    """Whether the owner edits the item itself now."""
    return _status(item) in EDITABLE_STATES


def check_editable(kind: str, item: HasStatus, message: str | None = None) -> None:
    """409 ``invalid_transition`` (with the editable states) unless the owner edits the item itself now."""
    if not is_editable(item):
        message = message or f"a {kind} in state {item.status} is not edited directly"
        raise InvalidTransition(message, allowed=sorted(EDITABLE_STATES))


# Core data (核心数据) is never listed nor used: no product is made of it, and a dataset of that grade
# stays in its owner's editable states (a draft may record it): it is never submitted, so never listed.
CORE_DATA_REFUSED = N_("Core data cannot be listed.")


def core_data_refused(kind: str, security_grade: str, status: str) -> bool:
    """Whether a ``kind`` item of this grade would be listed or used in ``status``."""
    if security_grade != SecurityGrade.CORE:
        return False
    return kind == "product" or status not in EDITABLE_STATES


def check_not_core(kind: str, security_grade: str, status: str) -> None:
    """422 ``invalid`` on the security grade when core data would be listed or used."""
    if core_data_refused(kind, security_grade, status):
        raise Invalid(CORE_DATA_REFUSED, fields={"security_grade": CORE_DATA_REFUSED})
