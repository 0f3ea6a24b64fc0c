"""The pricing check: products built on public data follow the national rules for its pricing
(发改价格〔2025〕65号) — public-governance and public-welfare use is free, industry use is priced at or
under the cap the implementing body set for the authorization the product is operated under
(``caps.py``), and fees are shown publicly. Each product out of line is flagged with what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from catalog.accounts.queries import organization_names
from catalog.authorizations.queries import standings
from catalog.i18n import N_
from catalog.listings.states import ListingStatus
from catalog.listings.workflow import RevisionStatus
from catalog.permissions import Actor, can_review, require
from catalog.pricing.caps import cap_for, caps_in_force, in_base_unit
from catalog.pricing.models import PriceCap
from catalog.products import queries as products
from catalog.products.models import DataProduct
from catalog.products.services import price_of
from catalog.vocabularies import PriceModel, UseCategory, carries_price

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
    rule: str  # not_free | over_cap | fee_not_public | unit_unknown | no_cap
    message: str
    cap: Decimal | None = None


@dataclass(frozen=True)
class Price:
    use_category: str
    price_model: str
    price: Decimal | None
    price_unit: str


def flag(
    price: Price, caps: dict[tuple[str, str], PriceCap], authorizations: list[str]
) -> tuple[str, str, Decimal | None] | None:
    """What is wrong with a price, as (rule, message, cap); None when it is in line. The cap is the
    lowest of the authorizations the product is operated under (``caps.cap_for``)."""
    if price.use_category in PUBLIC_USES and price.price_model != PriceModel.FREE:
        return "not_free", N_("Public-governance and public-welfare use must be free."), None
    if price.use_category != UseCategory.INDUSTRY:
        return None
    if price.price_model == PriceModel.NEGOTIATED:
        return "fee_not_public", N_("The fee is negotiated: publish a fee standard."), None
    if not carries_price(price.price_model) or price.price is None:
        return None
    found = cap_for(caps, authorizations, price.price_model)
    if found is None:
        return "no_cap", N_("No cap is set for this charging unit under the product's authorization."), None
    cap = found[1].amount
    amount = in_base_unit(price.price_model, price.price, price.price_unit)
    if amount is None:
        return (
            "unit_unknown",
            N_("The price unit cannot be compared with the cap: use a unit the port knows."),
            cap,
        )
    if amount > cap:
        return "over_cap", N_("The price is over the cap for industry use."), cap
    return None


def pricing_check(session: Session, actor: Actor) -> list[PriceFlag]:
    """Every product in review, publicity or listed whose price is out of line, by provider and title."""
    require(can_review(actor), actor, "only reviewers and administrators see the pricing check")
    caps = caps_in_force(session)
    orgs = organization_names(session)
    checked: list[tuple[DataProduct, Price, str]] = [
        (p, Price(p.use_category, p.price_model, p.price, p.price_unit), p.status)
        for p in products.products_in(session, CHECKED_STATES)
    ]
    # a listed product's new version in review: its new price is checked before it goes public
    for revision, product in products.new_versions_in(session, (RevisionStatus.SUBMITTED,)):
        checked.append((product, Price(*price_of(revision.data)), "new_version"))
    standing = standings(session, list({p.id: p for p, _, _ in checked}.values()))
    flags = []
    for product, price, status in checked:
        operated_under = standing[product.id].authorizations if product.id in standing else []
        found = flag(price, caps, operated_under)
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
