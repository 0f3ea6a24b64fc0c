"""The access-request lifecycle, in one transition table: who may make each step and what it needs.

    submitted ─► under_review ─► approved ─► agreement_signed ─► delivered ─► closed
        ▲  │           │  │
        │  ▼           │  └─► rejected (reason)
    more_info_needed ◄─┘ (question)
    withdrawn: by the requester, any time before delivery · expired: undecided past its term

Modelled on AWS Data Exchange's subscription verification and the Dataspace Protocol's contract
negotiation: the provider's owners answer, the requesting organization follows and may withdraw.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from catalog.i18n import N_


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    MORE_INFO_NEEDED = "more_info_needed"
    APPROVED = "approved"
    REJECTED = "rejected"
    AGREEMENT_SIGNED = "agreement_signed"
    DELIVERED = "delivered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


R = RequestStatus


class Side(StrEnum):
    REQUESTER = "requester"  # a member of the requesting organization
    PROVIDER = "provider"  # an owner of the product's organization
    SYSTEM = "system"  # the service: expiry


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    side: Side
    needs_reason: bool = False
    needs_delivery: bool = False
    label: str = ""


BEFORE_DELIVERY = (R.SUBMITTED, R.UNDER_REVIEW, R.MORE_INFO_NEEDED, R.APPROVED, R.AGREEMENT_SIGNED)
OPEN = BEFORE_DELIVERY  # a request still open: a second one for the same product is refused
UNDECIDED = (R.SUBMITTED, R.UNDER_REVIEW, R.MORE_INFO_NEEDED)
AWAITING_ANSWER = (R.SUBMITTED, R.UNDER_REVIEW)  # the provider's answer is due (``due_at``)
ANSWERED = (R.UNDER_REVIEW, R.MORE_INFO_NEEDED, R.APPROVED, R.REJECTED)  # a first answer moves it here
DELIVERY_SEEN = (R.DELIVERED, R.CLOSED)  # the delivery details exist (shown to the requester on asking)

STEPS: tuple[Step, ...] = (
    Step(R.SUBMITTED, R.UNDER_REVIEW, Side.PROVIDER, label=N_("Start the review")),
    Step(
        R.UNDER_REVIEW,
        R.MORE_INFO_NEEDED,
        Side.PROVIDER,
        needs_reason=True,
        label=N_("Ask for more information"),
    ),
    Step(R.MORE_INFO_NEEDED, R.SUBMITTED, Side.REQUESTER, label=N_("Submit again")),
    Step(R.UNDER_REVIEW, R.APPROVED, Side.PROVIDER, label=N_("Approve")),
    Step(R.UNDER_REVIEW, R.REJECTED, Side.PROVIDER, needs_reason=True, label=N_("Reject")),
    Step(R.APPROVED, R.AGREEMENT_SIGNED, Side.PROVIDER, label=N_("Record the signed agreement")),
    Step(
        R.AGREEMENT_SIGNED, R.DELIVERED, Side.PROVIDER, needs_delivery=True, label=N_("Record the delivery")
    ),
    Step(R.DELIVERED, R.CLOSED, Side.PROVIDER, label=N_("Close")),
    Step(R.DELIVERED, R.CLOSED, Side.REQUESTER, label=N_("Close")),
    *(Step(s, R.WITHDRAWN, Side.REQUESTER, label=N_("Withdraw the request")) for s in BEFORE_DELIVERY),
    *(Step(s, R.EXPIRED, Side.SYSTEM, label=N_("Expire")) for s in UNDECIDED),
)

DELIVERY_METHODS = ("api_credential", "file_link", "sandbox_account", "offline")


def find(source: str, target: str, side: Side) -> Step | None:
    return next((s for s in STEPS if s.source == source and s.target == target and s.side == side), None)


def targets(source: str, sides: set[Side]) -> list[str]:
    return list(dict.fromkeys(s.target for s in STEPS if s.source == source and s.side in sides))


STATE_LABELS = {
    R.SUBMITTED: N_("submitted"),
    R.UNDER_REVIEW: N_("under review"),
    R.MORE_INFO_NEEDED: N_("more information needed"),
    R.APPROVED: N_("approved"),
    R.REJECTED: N_("rejected"),
    R.AGREEMENT_SIGNED: N_("agreement signed"),
    R.DELIVERED: N_("delivered"),
    R.CLOSED: N_("closed"),
    R.WITHDRAWN: N_("withdrawn"),
    R.EXPIRED: N_("expired"),
}
DELIVERY_LABELS = {
    "api_credential": N_("API credential issued"),
    "file_link": N_("File link"),
    "sandbox_account": N_("Sandbox account"),
    "offline": N_("Offline hand-over"),
}
STEP_LABELS = {(s.source, s.target): s.label for s in STEPS}
