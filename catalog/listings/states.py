"""Listing states and which of them the public may see."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


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
