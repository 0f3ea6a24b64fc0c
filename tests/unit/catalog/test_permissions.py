"""The permission predicates every door uses: roles, organizations and token scope."""

import pytest

from catalog.errors import Forbidden, Unauthorized
from catalog.permissions import (
    ANONYMOUS,
    SYSTEM,
    TEMPLATE_PREDICATES,
    Actor,
    acts_for_an_organization,
    can_administer,
    can_answer_request,
    can_change_password,
    can_create_tokens,
    can_manage_listings_of,
    can_manage_tokens_of,
    can_open_request_for_good,
    can_request_access,
    can_request_product_of,
    can_review,
    can_review_listing_of,
    can_revoke_tokens,
    can_use_workspace,
    can_view_listing,
    can_view_request,
    is_provider_of,
    is_requester_of,
    listing_organizations,
    providing_organizations,
    requesting_organizations,
    require,
    require_person,
    require_user,
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


def test_the_providers_an_actor_lists_for_are_those_they_manage() -> None:
    assert listing_organizations(OWNER_A) == frozenset({10})
    assert listing_organizations(MEMBER_B) == frozenset()
    assert listing_organizations(ADMIN) is None  # every organization
    for actor in (OWNER_A, MEMBER_B, ADMIN, ANONYMOUS):
        managed = listing_organizations(actor)
        assert all(can_manage_listings_of(actor, o) == (managed is None or o in managed) for o in (10, 20))


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


def test_a_requests_sides_are_the_organizations_its_lists_hold() -> None:
    both = Actor(user_id=6, owner_of=frozenset({10}), member_of=frozenset({20}))
    assert requesting_organizations(both) == frozenset({10, 20}) and providing_organizations(both) == {10}
    assert is_requester_of(both, 20) and is_provider_of(both, 10) and not is_provider_of(both, 20)
    assert is_provider_of(ADMIN, 10) and providing_organizations(ADMIN) == frozenset()  # no list of all


def test_an_organization_never_requests_its_own_or_a_sister_organizations_product() -> None:
    both = Actor(user_id=6, owner_of=frozenset({10}), member_of=frozenset({20}))
    assert can_request_product_of(MEMBER_B, requester_org_id=20, provider_org_id=10)
    assert not can_request_product_of(MEMBER_B, requester_org_id=20, provider_org_id=20)
    assert not can_request_product_of(both, requester_org_id=20, provider_org_id=10)  # the person's other


def test_a_read_token_looks_at_a_request_without_opening_it_for_good() -> None:
    assert can_open_request_for_good(OWNER_A) and not can_open_request_for_good(READ_TOKEN)


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


def test_reviewers_never_review_their_own_organizations_listings() -> None:
    own = Actor(user_id=5, is_reviewer=True, member_of=frozenset({10}))
    assert can_review_listing_of(own, 20) and not can_review_listing_of(own, 10)
    assert can_review_listing_of(ADMIN, 10) and not can_review_listing_of(OWNER_A, 20)


def test_a_providers_owner_does_not_answer_a_request_of_their_own_organization() -> None:
    both = Actor(user_id=6, owner_of=frozenset({10}), member_of=frozenset({20}))
    assert can_answer_request(OWNER_A, requester_org_id=20, provider_org_id=10)
    assert not can_answer_request(both, requester_org_id=20, provider_org_id=10)
    assert can_answer_request(ADMIN, requester_org_id=20, provider_org_id=10)
    assert not can_answer_request(MEMBER_B, requester_org_id=30, provider_org_id=20)  # members do not answer


def test_the_navigation_asks_the_same_predicates() -> None:
    assert set(TEMPLATE_PREDICATES) == {
        "acts_for_an_organization",
        "can_administer",
        "can_review",
        "can_use_workspace",
    }
    assert can_use_workspace(MEMBER_B) and can_use_workspace(ADMIN) and not can_use_workspace(REVIEWER)
    assert acts_for_an_organization(MEMBER_B) and not acts_for_an_organization(ADMIN)


def test_tokens_are_managed_by_their_owner_or_an_administrator() -> None:
    assert can_manage_tokens_of(OWNER_A, 1) and not can_manage_tokens_of(MEMBER_B, 1)
    assert can_manage_tokens_of(ADMIN, 1) and not can_manage_tokens_of(ANONYMOUS, 1)
    token = Actor(user_id=1, via_token=True)
    assert can_create_tokens(OWNER_A) and not can_create_tokens(token)
    assert can_revoke_tokens(token) and not can_revoke_tokens(READ_TOKEN)
    browser = Actor(user_id=1, session_id="digest")
    assert can_change_password(browser) and not can_change_password(OWNER_A)  # no browser session


def test_a_persons_own_account_is_used_by_that_person_only_never_by_the_service() -> None:
    assert require_person(OWNER_A) == 1 and require_person(READ_TOKEN) == 1
    require_user(SYSTEM)  # the service passes the sign-in gate …
    with pytest.raises(Unauthorized):
        require_person(SYSTEM)  # … but has no account of its own
    with pytest.raises(Unauthorized):
        require_person(ANONYMOUS)
