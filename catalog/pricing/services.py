"""The pricing check: products built on public data follow the national rules for its pricing —
public-governance and public-welfare use is free, industry use is priced at or under the cap the city
sets, and fees are shown publicly. Each product out of line is flagged with what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from catalog.accounts.queries import organization_names
from catalog.i18n import N_
from catalog.listings.states import ListingStatus
from catalog.listings.workflow import RevisionStatus
from catalog.permissions import Actor, can_review, require
from catalog.products import queries as products
from catalog.products.models import DataProduct
from catalog.settings import Settings
from catalog.site_settings.services import SiteConfig, site_config
from catalog.vocabularies import PriceModel, UseCategory

# listed and on the way to it: a reviewer sees a problem before the listing, not after
CHECKED_STATES = (
    ListingStatus.SUBMITTED,
    ListingStatus.IN_REVIEW,
    ListingStatus.PUBLICITY,
    ListingStatus.LISTED,
)
PUBLIC_USES = (UseCategory.PUBLIC_GOVERNANCE, UseCategory.PUBLIC_WELFARE)


@dataclass(frozen=True)
class PriceFlag:
    product: str  # slug
    title: str
    provider: str
    status: str  # the product's, or new_version for a new version in review
    use_category: str
    price_model: str
    price: Decimal | None
    price_unit: str
    rule: str  # not_free | over_cap | fee_not_public
    message: str
    cap: Decimal | None = None


# How a price in each unit compares with the cap of its price model (per call, per year, per delivery)
UNIT_FACTORS: dict[str, dict[str, Decimal]] = {
    PriceModel.PER_CALL: {"元/次": Decimal(1), "元/千次": Decimal("0.001"), "元/万次": Decimal("0.0001")},
    PriceModel.SUBSCRIPTION: {
        "元/年": Decimal(1),
        "元/半年": Decimal(2),
        "元/季度": Decimal(4),
        "元/月": Decimal(12),
    },
    PriceModel.ONE_TIME: {
        "元/份": Decimal(1),
        "元/套": Decimal(1),
        "元/次": Decimal(1),
        "元/项目": Decimal(1),
    },
}


@dataclass(frozen=True)
class Price:
    use_category: str
    price_model: str
    price: Decimal | None
    price_unit: str


def flag(price: Price, config: SiteConfig) -> tuple[str, str, Decimal | None] | None:
    """What is wrong with a price, as (rule, message, cap); None when it is in line."""
    if price.use_category in PUBLIC_USES and price.price_model != PriceModel.FREE:
        return "not_free", N_("Public-governance and public-welfare use must be free."), None
    if price.use_category != UseCategory.INDUSTRY:
        return None
    if price.price_model == PriceModel.NEGOTIATED:
        return "fee_not_public", N_("The fee is negotiated: publish a fee standard."), None
    cap = config.price_cap(price.price_model)
    if cap is None or price.price is None:
        return None
    factor = UNIT_FACTORS.get(price.price_model, {}).get(price.price_unit.strip())
    if factor is None:
        return (
            "unit_unknown",
            N_("The price unit cannot be compared with the cap: use a unit the port knows."),
            cap,
        )
    if price.price * factor > cap:
        return "over_cap", N_("The price is over the cap for industry use."), cap
    return None


def _price_of(values: dict[str, Any]) -> Price:
    raw = values.get("price")
    try:
        amount = None if raw in (None, "") else Decimal(str(raw))
    except ArithmeticError:
        amount = None
    return Price(
        use_category=str(values.get("use_category") or UseCategory.INDUSTRY),
        price_model=str(values.get("price_model") or ""),
        price=amount,
        price_unit=str(values.get("price_unit") or ""),
    )


def pricing_check(session: Session, actor: Actor, settings: Settings) -> list[PriceFlag]:
    """Every product in review, publicity or listed whose price is out of line, by provider and title."""
    require(can_review(actor), actor, "only reviewers and administrators see the pricing check")
    config = site_config(session, settings)
    orgs = organization_names(session)
    checked: list[tuple[DataProduct, Price, str]] = [
        (p, Price(p.use_category, p.price_model, p.price, p.price_unit), p.status)
        for p in products.products_in(session, CHECKED_STATES)
    ]
    # a listed product's new version in review: its new price is checked before it goes public
    for revision, product in products.new_versions_in(session, (RevisionStatus.SUBMITTED,)):
        checked.append((product, _price_of(revision.data), "new_version"))
    flags = []
    for product, price, status in checked:
        found = flag(price, config)
        if found is None:
            continue
        rule, message, cap = found
        flags.append(
            PriceFlag(
                product=product.slug,
                title=product.title,
                provider=orgs.get(product.provider_id, ""),
                status=status,
                use_category=price.use_category,
                price_model=price.price_model,
                price=price.price,
                price_unit=price.price_unit,
                rule=rule,
                message=message,
                cap=cap,
            )
        )
    return sorted(flags, key=lambda f: (f.rule, f.provider, f.title))
