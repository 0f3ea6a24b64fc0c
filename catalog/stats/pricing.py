"""The pricing check: products built on public data follow the national rules for its pricing —
public-governance and public-welfare use is free, industry use is priced at or under the cap the city
sets, and fees are shown publicly. Each product out of line is flagged with what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from catalog.accounts.models import Organization
from catalog.i18n import N_
from catalog.listings.states import ListingStatus
from catalog.permissions import Actor, can_review, require
from catalog.products.models import DataProduct
from catalog.settings import Settings
from catalog.stats.site import SiteConfig, site_config
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
    status: str
    use_category: str
    price_model: str
    price: Decimal | None
    price_unit: str
    rule: str  # not_free | over_cap | fee_not_public
    message: str
    cap: Decimal | None = None


def flag(product: DataProduct, config: SiteConfig) -> tuple[str, str, Decimal | None] | None:
    """What is wrong with a product's price, as (rule, message, cap); None when it is in line."""
    if product.use_category in PUBLIC_USES and product.price_model != PriceModel.FREE:
        return "not_free", N_("Public-governance and public-welfare use must be free."), None
    if product.use_category != UseCategory.INDUSTRY:
        return None
    if product.price_model == PriceModel.NEGOTIATED:
        return "fee_not_public", N_("The fee is negotiated: publish a fee standard."), None
    cap = config.price_cap(product.price_model)
    if cap is not None and product.price is not None and product.price > cap:
        return "over_cap", N_("The price is over the cap for industry use."), cap
    return None


def pricing_check(session: Session, actor: Actor, settings: Settings) -> list[PriceFlag]:
    """Every product in review, publicity or listed whose price is out of line, by provider and title."""
    require(can_review(actor), actor, "only reviewers and administrators see the pricing check")
    config = site_config(session, settings)
    orgs = dict(session.exec(select(Organization.id, Organization.name)).all())
    flags = []
    for product in session.exec(
        select(DataProduct).where(col(DataProduct.status).in_(CHECKED_STATES)).order_by(DataProduct.slug)
    ):
        found = flag(product, config)
        if found is None:
            continue
        rule, message, cap = found
        flags.append(
            PriceFlag(
                product=product.slug,
                title=product.title,
                provider=orgs.get(product.provider_id, ""),
                status=product.status,
                use_category=product.use_category,
                price_model=product.price_model,
                price=product.price,
                price_unit=product.price_unit,
                rule=rule,
                message=message,
                cap=cap,
            )
        )
    return sorted(flags, key=lambda f: (f.rule, f.provider, f.title))
