"""The listing lifecycle, shared by products and datasets: one transition table, who may make each
transition, and what it needs (a reason, a completed checklist).

    draft ─► submitted ─► in_review ─► publicity ─► listed ─► delisted
      ▲          │            │  │          │                    │
      └──────────┘ (withdraw) │  │          └─► changes_requested (objection upheld)
      changes_requested ◄─────┘  └─► rejected ─► draft (rework)   └─► submitted (relist, reviewed again)

The national registration procedure reads 申请 → 受理 → 形式审核 → 公示 → 赋码: submitting is the
application, a reviewer taking it is acceptance, the checklist is the formal review, publicity is the
notice period (公示期) and listing assigns the registration code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from catalog.i18n import N_
from catalog.listings.states import ListingStatus as S


class Role(StrEnum):
    OWNER = "owner"  # an owner member of the listing's organization (or an administrator)
    REVIEWER = "reviewer"  # a reviewer (or an administrator)
    SYSTEM = "system"  # the service itself: the end of the publicity period


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    role: Role
    needs_reason: bool = False
    needs_checklist: bool = False
    label: str = ""
    # a product's sources must be inside an authorization of its provider in force (27号): to be
    # submitted and to be approved, for a listing and for a new version
    needs_authorization: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.SUBMITTED, Role.OWNER, label=N_("Submit for review"), needs_authorization=True),
    Transition(
        S.CHANGES_REQUESTED, S.SUBMITTED, Role.OWNER, label=N_("Submit again"), needs_authorization=True
    ),
    Transition(S.SUBMITTED, S.DRAFT, Role.OWNER, label=N_("Withdraw")),
    Transition(S.REJECTED, S.DRAFT, Role.OWNER, label=N_("Rework as a draft")),
    Transition(S.SUBMITTED, S.IN_REVIEW, Role.REVIEWER, label=N_("Start the review")),
    Transition(
        S.IN_REVIEW, S.CHANGES_REQUESTED, Role.REVIEWER, needs_reason=True, label=N_("Request changes")
    ),
    Transition(S.IN_REVIEW, S.REJECTED, Role.REVIEWER, needs_reason=True, label=N_("Reject")),
    Transition(
        S.IN_REVIEW,
        S.PUBLICITY,
        Role.REVIEWER,
        needs_checklist=True,
        label=N_("Approve"),
        needs_authorization=True,
    ),
    Transition(
        S.PUBLICITY,
        S.CHANGES_REQUESTED,
        Role.REVIEWER,
        needs_reason=True,
        label=N_("Withdraw from publicity"),
    ),
    Transition(S.PUBLICITY, S.LISTED, Role.SYSTEM, label=N_("List")),
    Transition(S.LISTED, S.DELISTED, Role.OWNER, needs_reason=True, label=N_("Delist")),
    Transition(
        S.DELISTED, S.SUBMITTED, Role.OWNER, label=N_("Submit to list again"), needs_authorization=True
    ),
)

# The compliance checklist a reviewer completes to approve (形式审核), with what to check for each.
CHECKLIST: dict[str, str] = {
    "source_authorized": N_("Every source dataset is in the authorized-operation catalog."),
    "not_core_data": N_("The security grade is not core data."),
    "personal_info_deidentified": N_("Personal information is absent or de-identified as stated."),
    "licence_and_price_stated": N_("The licence, its terms and the price are stated."),
    "description_complete": N_(
        "The description says what the data is, where it comes from and how to use it."
    ),
}


def _step(table: tuple[Transition, ...], source: str, target: str, by_system: bool) -> Transition | None:
    """The table's row from ``source`` to ``target``; a step only the system takes (``Role.SYSTEM``)
    does not exist for anyone else, so a person asking for it gets the 409 of no such step."""
    step = next((t for t in table if t.source == source and t.target == target), None)
    if step is None or (step.role is Role.SYSTEM and not by_system):
        return None
    return step


def find(source: str, target: str, *, by_system: bool) -> Transition | None:
    """The listing lifecycle's step from ``source`` to ``target`` for a person or the system."""
    return _step(TRANSITIONS, source, target, by_system)


def from_state(source: str) -> list[Transition]:
    """The transitions out of ``source``, in table order."""
    return [t for t in TRANSITIONS if t.source == source]


class RevisionStatus(StrEnum):
    """The states of a listed product's new version (``ProductRevision.status``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


_R = RevisionStatus  # the table below, in short

# A listed product's new version (``ProductRevision``) is reviewed while the listed version stays
# public; approval makes it the product's current version, at once (no second publicity period).
REVISION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        _R.DRAFT, _R.SUBMITTED, Role.OWNER, label=N_("Submit the new version"), needs_authorization=True
    ),
    Transition(
        _R.CHANGES_REQUESTED,
        _R.SUBMITTED,
        Role.OWNER,
        label=N_("Submit the new version again"),
        needs_authorization=True,
    ),
    Transition(_R.DRAFT, _R.WITHDRAWN, Role.OWNER, label=N_("Discard the new version")),
    Transition(_R.CHANGES_REQUESTED, _R.WITHDRAWN, Role.OWNER, label=N_("Discard the new version")),
    Transition(
        _R.SUBMITTED,
        _R.APPROVED,
        Role.REVIEWER,
        needs_checklist=True,
        label=N_("Approve the new version"),
        needs_authorization=True,
    ),
    Transition(
        _R.SUBMITTED, _R.CHANGES_REQUESTED, Role.REVIEWER, needs_reason=True, label=N_("Request changes")
    ),
    Transition(_R.SUBMITTED, _R.REJECTED, Role.REVIEWER, needs_reason=True, label=N_("Reject")),
    # delisting a product withdraws its new version from any open state, a submitted one included
    Transition(_R.SUBMITTED, _R.WITHDRAWN, Role.SYSTEM, label=N_("Discard the new version")),
)
OPEN_REVISION = (_R.DRAFT, _R.CHANGES_REQUESTED, _R.SUBMITTED)


def find_revision_step(source: str, target: str, *, by_system: bool) -> Transition | None:
    """A new version's step from ``source`` to ``target`` for a person or the system."""
    return _step(REVISION_TRANSITIONS, source, target, by_system)
