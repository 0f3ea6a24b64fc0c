"""A registration's acts, its validity and the materials it needs (发改数据规〔2025〕26号).

Listing registers an item (首次, first): it gets a code and a validity of three years. A new version
registers a change (变更); fixing recorded facts without a new version, a correction (更正); delisting,
a cancellation (注销). Renewal opens 60 days before the validity ends and extends it by three years.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from catalog.i18n import N_


class Act(StrEnum):
    FIRST = "first"  # 首次登记
    CHANGE = "change"  # 变更登记
    CORRECTION = "correction"  # 更正登记
    CANCELLATION = "cancellation"  # 注销登记
    RENEWAL = "renewal"  # 续期


class RegistrationStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # valid, within RENEW_DAYS of its end: renewal is open
    EXPIRED = "expired"
    CANCELLED = "cancelled"


VALID_YEARS = 3
RENEW_DAYS = 60

# What a product's registration carries besides its metadata (the measures' materials), each with what
# a reviewer checks for: approval needs every one (422 checklist_incomplete names the missing).
MATERIALS: dict[str, str] = {
    "lawful_source": N_("State the lawful and compliant source of the data (合法来源说明)."),
    "risk_assessor": N_("Name who made the data-security risk assessment."),
    "risk_assessed_on": N_("Give the date of the data-security risk assessment."),
    "risk_result": N_("Give the result of the data-security risk assessment."),
    "risk_report": N_("Give the reference of the data-security risk assessment report."),
    "compliance_assessor": N_("Name who made the compliance assessment."),
    "compliance_assessed_on": N_("Give the date of the compliance assessment."),
    "compliance_grade": N_("Give the result or grade of the compliance assessment."),
    "compliance_report": N_("Give the reference of the compliance assessment report."),
    "scenarios": N_("Describe at least one application scenario."),
}


def missing_materials(values: dict[str, object]) -> dict[str, str]:
    """The materials a product's values lack, with what to give."""
    return {name: text for name, text in MATERIALS.items() if not values.get(name)}


def valid_until(start: dt.date) -> dt.date:
    """The last day of a validity of ``VALID_YEARS`` begun on ``start``."""
    try:
        end = start.replace(year=start.year + VALID_YEARS)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + VALID_YEARS, day=28) + dt.timedelta(days=1)
    return end - dt.timedelta(days=1)


def status_of(last_act: str, until: dt.date, today: dt.date) -> RegistrationStatus:
    if last_act == Act.CANCELLATION:
        return RegistrationStatus.CANCELLED
    if until < today:
        return RegistrationStatus.EXPIRED
    if until <= today + dt.timedelta(days=RENEW_DAYS):
        return RegistrationStatus.EXPIRING
    return RegistrationStatus.VALID


def renewal_open(last_act: str, until: dt.date, today: dt.date) -> bool:
    """Renewal opens 60 days before the end, and stays open once it has passed."""
    return last_act != Act.CANCELLATION and today >= until - dt.timedelta(days=RENEW_DAYS)
