"""The listing rules of ``listings/states.py``: one predicate (and SQL condition) per rule."""

import datetime as dt
from types import SimpleNamespace

import pytest

from catalog.errors import Invalid, InvalidTransition
from catalog.licences.services import licence_url
from catalog.listings import states, workflow
from catalog.listings.states import ListingStatus as S
from catalog.listings.workflow import RevisionStatus, Role
from catalog.vocabularies import PriceModel, carries_price


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


def test_core_data_is_never_listed_nor_made_into_a_product() -> None:
    assert states.core_data_refused("product", "core", S.DRAFT)
    assert not states.core_data_refused("dataset", "core", S.DRAFT)  # a draft may record it
    assert all(states.core_data_refused("dataset", "core", s) for s in S if s not in states.EDITABLE_STATES)
    assert not any(states.core_data_refused(kind, "important", S.LISTED) for kind in ("product", "dataset"))
    with pytest.raises(Invalid) as refused:
        states.check_not_core("dataset", "core", S.SUBMITTED)
    assert refused.value.code == "invalid" and list(refused.value.fields) == ["security_grade"]


def test_per_call_subscription_one_time_and_volume_prices_carry_a_price() -> None:
    assert {m for m in PriceModel if carries_price(m)} == {
        "per_call",
        "subscription",
        "one_time",
        "per_volume",
    }


def test_a_licence_is_at_its_own_web_address_else_at_its_api_page() -> None:
    base = "https://data.example.cn"
    own = SimpleNamespace(code="cc-by-4.0", url="https://creativecommons.org/licenses/by/4.0/")
    assert licence_url(own, base) == own.url
    assert licence_url(SimpleNamespace(code="hadp", url=""), base) == f"{base}/api/v1/licenses/hadp"


def test_an_item_given_in_a_reviewed_state_needs_a_listing_date_from_the_first_listing_to_today() -> None:
    today = dt.date.today()
    states.check_listing_date(S.DRAFT, None)
    states.check_listing_date(S.LISTED, states.FIRST_LISTING)
    states.check_listing_date(S.DRAFT, today)
    with pytest.raises(ValueError, match="status listed needs listed_at"):
        states.check_listing_date(S.LISTED, None)
    for day in (states.FIRST_LISTING - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        with pytest.raises(ValueError, match="listed_at must be a day from 2020-01-01 to today"):
            states.check_listing_date(S.DRAFT, day)


def test_a_new_versions_steps_run_between_its_declared_states() -> None:
    named = {s for t in workflow.REVISION_TRANSITIONS for s in (t.source, t.target)}
    assert named == set(RevisionStatus)
    assert all(isinstance(s, RevisionStatus) for s in named | set(workflow.OPEN_REVISION))
    assert set(workflow.OPEN_REVISION) == {t.source for t in workflow.REVISION_TRANSITIONS}


def test_a_step_only_the_system_takes_is_found_for_the_system_only() -> None:
    system_only = [t for t in workflow.TRANSITIONS + workflow.REVISION_TRANSITIONS if t.role is Role.SYSTEM]
    assert system_only  # the end of publicity, the delisting's withdrawal of a new version
    for t in system_only:
        table_find = workflow.find if t in workflow.TRANSITIONS else workflow.find_revision_step
        assert table_find(t.source, t.target, by_system=True) == t
        assert table_find(t.source, t.target, by_system=False) is None
