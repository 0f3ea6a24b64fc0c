"""The listing rules of ``listings/states.py``: one predicate (and SQL condition) per rule."""

from types import SimpleNamespace

import pytest

from catalog.errors import InvalidTransition
from catalog.listings import states
from catalog.listings.states import ListingStatus as S


def item(status: str) -> SimpleNamespace:
    return SimpleNamespace(status=status)


def test_public_means_listed_or_in_publicity_and_listed_means_listed() -> None:
    assert [s for s in S if states.is_public(item(s))] == [S.PUBLICITY, S.LISTED]
    assert [s for s in S if states.is_listed(item(s))] == [S.LISTED]
    assert [s for s in S if states.is_reachable(item(s))] == [S.PUBLICITY, S.LISTED, S.DELISTED]


def test_the_owner_edits_drafts_and_what_review_sent_back_only() -> None:
    assert [s for s in S if states.is_editable(item(s))] == [S.DRAFT, S.CHANGES_REQUESTED, S.REJECTED]
    states.check_editable("product", item(S.DRAFT))
    with pytest.raises(InvalidTransition) as refused:
        states.check_editable("dataset", item(S.SUBMITTED))
    assert refused.value.code == "invalid_transition"
    assert refused.value.allowed == sorted(states.EDITABLE_STATES)
