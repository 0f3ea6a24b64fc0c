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


BEFORE_DELIVERY = ("submitted", "under_review", "more_info_needed", "approved", "agreement_signed")
OPEN = BEFORE_DELIVERY  # a request still open: a second one for the same product is refused
UNDECIDED = ("submitted", "under_review", "more_info_needed")

STEPS: tuple[Step, ...] = (
    Step("submitted", "under_review", Side.PROVIDER, label=N_("Start the review")),
    Step(
        "under_review",
        "more_info_needed",
        Side.PROVIDER,
        needs_reason=True,
        label=N_("Ask for more information"),
    ),
    Step("more_info_needed", "submitted", Side.REQUESTER, label=N_("Submit again")),
    Step("under_review", "approved", Side.PROVIDER, label=N_("Approve")),
    Step("under_review", "rejected", Side.PROVIDER, needs_reason=True, label=N_("Reject")),
    Step("approved", "agreement_signed", Side.PROVIDER, label=N_("Record the signed agreement")),
    Step(
        "agreement_signed", "delivered", Side.PROVIDER, needs_delivery=True, label=N_("Record the delivery")
    ),
    Step("delivered", "closed", Side.PROVIDER, label=N_("Close")),
    Step("delivered", "closed", Side.REQUESTER, label=N_("Close")),
    *(Step(s, "withdrawn", Side.REQUESTER, label=N_("Withdraw the request")) for s in BEFORE_DELIVERY),
    *(Step(s, "expired", Side.SYSTEM, label=N_("Expire")) for s in UNDECIDED),
)

DELIVERY_METHODS = ("api_credential", "file_link", "sandbox_account", "offline")


def find(source: str, target: str, side: Side) -> Step | None:
    return next((s for s in STEPS if s.source == source and s.target == target and s.side == side), None)


def targets(source: str, sides: set[Side]) -> list[str]:
    return list(dict.fromkeys(s.target for s in STEPS if s.source == source and s.side in sides))


STATE_LABELS = {
    "submitted": N_("submitted"),
    "under_review": N_("under review"),
    "more_info_needed": N_("more information needed"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "agreement_signed": N_("agreement signed"),
    "delivered": N_("delivered"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
    "expired": N_("expired"),
}
DELIVERY_LABELS = {
    "api_credential": N_("API credential issued"),
    "file_link": N_("File link"),
    "sandbox_account": N_("Sandbox account"),
    "offline": N_("Offline hand-over"),
}
STEP_LABELS = {(s.source, s.target): s.label for s in STEPS}
