"""Site settings that administrators change on /admin/settings: the targets, their deadline and the
price caps of the pricing check. A setting nobody changed takes the environment's value
(``CATALOG_TARGET_PRODUCTS`` …), so a fresh install behaves as its configuration says."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from catalog.audit.services import record
from catalog.errors import Invalid
from catalog.i18n import N_
from catalog.models_base import utcnow
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.settings import Settings
from catalog.site_settings.models import SiteSetting
from catalog.vocabularies import PriceModel, carries_price

MAX_TARGET = 1_000_000
FIRST_DEADLINE, LAST_DEADLINE = dt.date(2020, 1, 1), dt.date(2100, 12, 31)


@dataclass(frozen=True)
class SiteField:
    key: str
    label: str
    kind: str  # int | date | money
    hint: str = ""


FIELDS = (
    SiteField("target_products", N_("Target: listed data products"), "int"),
    SiteField("target_datasets", N_("Target: listed high-quality datasets"), "int"),
    SiteField("target_deadline", N_("Deadline of the targets"), "date", N_("A date like 2027-12-31")),
    SiteField(
        "price_cap_per_call",
        N_("Price cap per call (yuan)"),
        "money",
        N_(
            "The caps a new authorization starts with, for industry use; each authorization's own are"
            " set on its page"
        ),
    ),
    SiteField("price_cap_subscription", N_("Price cap per year of subscription (yuan)"), "money"),
    SiteField("price_cap_one_time", N_("Price cap per delivery (yuan)"), "money"),
    SiteField("price_cap_per_volume", N_("Price cap per 10,000 records (yuan)"), "money"),
)


@dataclass(frozen=True)
class SiteConfig:
    target_products: int
    target_datasets: int
    target_deadline: dt.date
    price_cap_per_call: Decimal
    price_cap_subscription: Decimal
    price_cap_one_time: Decimal
    price_cap_per_volume: Decimal

    def price_caps(self) -> dict[str, Decimal]:
        """The default cap of each priced model (a new authorization's first caps), by price model."""
        return {model: getattr(self, f"price_cap_{model}") for model in PriceModel if carries_price(model)}

    def values(self) -> dict[str, str]:
        return {f.key: str(getattr(self, f.key)) for f in FIELDS}


def _defaults(settings: Settings) -> dict[str, Any]:
    return {f.key: getattr(settings, f.key) for f in FIELDS}


def _parse(field: SiteField, raw: str) -> Any:
    """One setting's value from text; ValueError with a message a person can act on."""
    raw = raw.strip()
    if field.kind == "int":
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TARGET:
            raise ValueError(N_("Enter a whole number from 1 to 1,000,000."))
        return int(raw)
    if field.kind == "date":
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(N_("Enter a date like 2027-12-31.")) from None
        if not FIRST_DEADLINE <= day <= LAST_DEADLINE:
            raise ValueError(N_("Enter a date from 2020 to 2100."))
        return day
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(N_("Enter an amount in yuan, like 1.5.")) from None
    if not value.is_finite() or value < 0 or value > Decimal("1e12"):
        raise ValueError(N_("Enter an amount in yuan, like 1.5."))
    return value


def site_config(session: Session, settings: Settings) -> SiteConfig:
    """The settings in force: what administrators set, else the environment's values."""
    values = _defaults(settings)
    fields = {f.key: f for f in FIELDS}
    for row in session.exec(select(SiteSetting)):
        if row.key in fields:
            with contextlib.suppress(ValueError):  # written by an older version: the default stands
                values[row.key] = _parse(fields[row.key], row.value)
    return SiteConfig(**values)


def update_site_settings(
    session: Session, actor: Actor, settings: Settings, form: dict[str, str]
) -> SiteConfig:
    """Change the settings from a form; every field is checked before anything is written (422 naming
    each bad field), and the change is audited with the values before and after."""
    require_write(actor)
    require(can_administer(actor), actor, "only administrators change site settings")
    current = site_config(session, settings)
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field in FIELDS:
        raw = form.get(field.key)
        if raw is None or not raw.strip():
            problems[field.key] = N_("This field is required.")
            continue
        try:
            parsed[field.key] = _parse(field, raw)
        except ValueError as exc:
            problems[field.key] = str(exc)
    if problems:
        raise Invalid(N_("Some settings need correcting."), fields=problems)
    before, after = {}, {}
    for field in FIELDS:
        old, new = getattr(current, field.key), parsed[field.key]
        if old == new:
            continue
        before[field.key], after[field.key] = str(old), str(new)
        row = session.get(SiteSetting, field.key) or SiteSetting(key=field.key)
        row.value, row.updated_at, row.updated_by = str(new), utcnow(), actor.user_id
        session.add(row)
    if after:
        record(session, actor, "settings.update", "site", "settings", ", ".join(after), before, after)
    session.flush()
    return SiteConfig(**parsed)
