"""The permission predicates every door uses: roles, organizations and token scope."""

import pytest

from catalog.errors import Forbidden, Unauthorized
from catalog.permissions import (
    ANONYMOUS,
    Actor,
    can_administer,
    can_manage_listings_of,
    can_request_access,
    can_review,
    can_view_listing,
    can_view_request,
    require,
    require_write,
)

OWNER_A = Actor(user_id=1, label="a@x.cn", owner_of=frozenset({10}))
MEMBER_B = Actor(user_id=2, label="b@x.cn", member_of=frozenset({20}))
REVIEWER = Actor(user_id=3, label="r@x.cn", is_reviewer=True)
ADMIN = Actor(user_id=4, label="admin@x.cn", is_admin=True)
READ_TOKEN = Actor(user_id=1, label="a@x.cn", owner_of=frozenset({10}), can_write=False)


def test_owners_manage_only_their_own_organizations_listings() -> None:
    assert can_manage_listings_of(OWNER_A, 10)
    assert not can_manage_listings_of(OWNER_A, 20)  # another organization's
    assert not can_manage_listings_of(MEMBER_B, 20)  # members request, they do not manage
    assert can_manage_listings_of(ADMIN, 20)
    assert not can_manage_listings_of(ANONYMOUS, 10)


def test_drafts_are_seen_by_their_organization_and_reviewers_only() -> None:
    assert can_view_listing(ANONYMOUS, 10, reachable=True)  # listed, in publicity or delisted
    assert not can_view_listing(ANONYMOUS, 10, reachable=False)
    assert can_view_listing(OWNER_A, 10, reachable=False)
    assert not can_view_listing(MEMBER_B, 10, reachable=False)
    assert can_view_listing(REVIEWER, 10, reachable=False)


def test_requests_are_seen_by_both_sides_only() -> None:
    assert can_view_request(MEMBER_B, requester_org_id=20, provider_org_id=10)
    assert can_view_request(OWNER_A, requester_org_id=20, provider_org_id=10)
    assert not can_view_request(Actor(user_id=9, member_of=frozenset({30})), 20, 10)
    assert can_request_access(MEMBER_B) and not can_request_access(ANONYMOUS)
    assert not can_request_access(REVIEWER)  # no organization to request for


def test_review_and_administration_roles() -> None:
    assert can_review(REVIEWER) and can_review(ADMIN) and not can_review(OWNER_A)
    assert can_administer(ADMIN) and not can_administer(REVIEWER)


def test_anonymous_is_401_and_a_wrong_role_or_read_token_is_403() -> None:
    with pytest.raises(Unauthorized):
        require_write(ANONYMOUS)
    with pytest.raises(Forbidden):
        require_write(READ_TOKEN)
    require_write(OWNER_A)
    with pytest.raises(Unauthorized):
        require(can_review(ANONYMOUS), ANONYMOUS)
    with pytest.raises(Forbidden):
        require(can_review(OWNER_A), OWNER_A)
