"""Fee caps and published fees (发改价格〔2025〕65号): the implementing body sets a cap (上限收费标准) per
authorization and charging unit, effective from a date; an operator's fee for industry use may not
exceed the cap of the authorizations its product is operated under (422 ``price_over_cap`` at submit
and at approval); every fee a product has published is kept, trial fees (试行) marked.

How a price in one unit compares with a cap in its model's base unit is said here once
(``UNIT_FACTORS``), for the refusal, the pricing check and the pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlmodel import Session, col, select

from catalog.audit import services as audit
from catalog.authorizations.models import Authorization
from catalog.authorizations.queries import today
from catalog.errors import Invalid, NotFound, PriceOverCap
from catalog.i18n import N_
from catalog.models_base import saved_id
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.pricing.models import CapCreate, CapPublic, PriceCap, PriceChange, PriceEntry
from catalog.products.models import DataProduct
from catalog.vocabularies import PriceModel, UseCategory, carries_price

# How a price in each unit compares with a cap in its model's base unit (the first of each)
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
    PriceModel.PER_VOLUME: {
        "元/万条": Decimal(1),
        "元/条": Decimal(10000),
        "元/千条": Decimal(10),
        "元/百万条": Decimal("0.01"),
    },
}
BASE_UNITS = {model: next(iter(units)) for model, units in UNIT_FACTORS.items()}


def in_base_unit(price_model: str, price: Decimal | None, unit: str) -> Decimal | None:
    """The price per its model's base unit; None when the unit is not one the port knows."""
    factor = UNIT_FACTORS.get(price_model, {}).get(unit.strip())
    if price is None or factor is None:
        return None
    return price * factor


# --- caps -----------------------------------------------------------------------------------------
def caps_in_force(
    session: Session, on: dt.date | None = None, codes: Iterable[str] | None = None
) -> dict[tuple[str, str], PriceCap]:
    """The cap in force on ``on`` of each (authorization code, price model): the latest effective (of
    the authorizations of ``codes`` only, when given)."""
    on = on or today()
    query = (
        select(Authorization.code, PriceCap)
        .join(Authorization, col(Authorization.id) == PriceCap.authorization_id)
        .where(col(PriceCap.effective_from) <= on)
        .order_by(col(PriceCap.effective_from), col(PriceCap.id))
    )
    if codes is not None:
        query = query.where(col(Authorization.code).in_(set(codes)))
    return {(code, cap.price_model): cap for code, cap in session.exec(query)}  # later ones replace earlier


def cap_for(
    caps: dict[tuple[str, str], PriceCap], authorizations: Iterable[str], price_model: str
) -> tuple[str, PriceCap] | None:
    """The lowest cap of ``price_model`` among the authorizations a product is operated under."""
    found = [(code, caps[(code, price_model)]) for code in authorizations if (code, price_model) in caps]
    return min(found, key=lambda c: c[1].amount) if found else None


def cap_public(code: str, cap: PriceCap) -> CapPublic:
    return CapPublic(
        authorization=code,
        price_model=cap.price_model,
        amount=float(cap.amount),
        unit=BASE_UNITS.get(cap.price_model, ""),
        effective_from=cap.effective_from,
        document=cap.document,
    )


def over_cap(
    caps: dict[tuple[str, str], PriceCap],
    authorizations: Iterable[str],
    use_category: str,
    price_model: str,
    price: Decimal | None,
    price_unit: str,
) -> CapPublic | None:
    """The cap an industry-use price exceeds, or None."""
    if use_category != UseCategory.INDUSTRY or not carries_price(price_model):
        return None
    found = cap_for(caps, authorizations, price_model)
    amount = in_base_unit(price_model, price, price_unit)
    if found is None or amount is None:
        return None
    return cap_public(*found) if amount > found[1].amount else None


def check_cap(
    session: Session,
    authorizations: Iterable[str],
    use_category: str,
    price_model: str,
    price: Decimal | None,
    price_unit: str,
) -> None:
    """422 ``price_over_cap`` (with the cap) when an industry-use price exceeds the cap of the
    authorizations the product is operated under."""
    under = list(authorizations)
    priced = use_category == UseCategory.INDUSTRY and carries_price(price_model) and price is not None
    if priced and in_base_unit(price_model, price, price_unit) is None:  # no comparing: no way past the cap
        units = "、".join(UNIT_FACTORS.get(price_model, {}))
        message = N_("The price unit cannot be compared with the cap: use a unit the port knows.")
        raise Invalid(message, fields={"price_unit": units})
    cap = over_cap(caps_in_force(session, codes=under), under, use_category, price_model, price, price_unit)
    if cap is not None:
        raise PriceOverCap(
            N_("The price is over the cap the implementing body set for this charging unit."),
            cap=cap.model_dump(mode="json"),
        )


def set_cap(session: Session, actor: Actor, code: str, data: CapCreate) -> CapPublic:
    """An administrator sets a cap of an authorization from a date (audited)."""
    require_write(actor)
    require(can_administer(actor), actor, "only administrators set fee caps")
    authorization = session.exec(select(Authorization).where(Authorization.code == code)).first()
    if authorization is None:
        raise NotFound(f"no authorization {code!r}")
    cap = _add_cap(session, authorization, data)
    unit = BASE_UNITS.get(data.price_model, "")
    audit.record(
        session,
        actor,
        "authorization.cap",
        "authorization",
        code,
        f"cap {data.price_model}: {data.amount} {unit} from {data.effective_from}",
        after={
            "price_model": str(data.price_model),
            "amount": str(data.amount),
            "from": str(data.effective_from),
        },
    )
    return cap_public(code, cap)


def _add_cap(session: Session, authorization: Authorization, data: CapCreate) -> PriceCap:
    cap = PriceCap(
        authorization_id=saved_id(authorization),
        price_model=data.price_model,
        amount=data.amount,
        effective_from=data.effective_from,
        document=data.document.strip(),
    )
    session.add(cap)
    session.flush()
    return cap


def import_cap(session: Session, data: CapCreate) -> bool:
    """The seed's cap, unless its authorization has one of that model from that date; True when added."""
    authorization = session.exec(
        select(Authorization).where(Authorization.code == data.authorization)
    ).first()
    if authorization is None:
        raise NotFound(f"no authorization {data.authorization!r}")
    exists = session.exec(
        select(PriceCap.id).where(
            PriceCap.authorization_id == authorization.id,
            PriceCap.price_model == data.price_model,
            PriceCap.effective_from == data.effective_from,
        )
    ).first()
    if exists is not None:
        return False
    _add_cap(session, authorization, data)
    return True


def default_caps(session: Session, authorization: Authorization, defaults: dict[str, Decimal]) -> int:
    """Caps from ``defaults`` (price model -> amount, the settings' caps) for every charging unit the
    authorization has none of yet, from its start; how many were set."""
    have = set(
        session.exec(select(PriceCap.price_model).where(PriceCap.authorization_id == authorization.id))
    )
    added = 0
    for model, amount in defaults.items():
        if model not in have:
            _add_cap(
                session,
                authorization,
                CapCreate(
                    price_model=PriceModel(model), amount=amount, effective_from=authorization.starts_on
                ),
            )
            added += 1
    return added


def caps_of(session: Session, authorization_ids: Sequence[int]) -> dict[int, list[CapPublic]]:
    """Every cap of each authorization (by its id), in force or not, by unit then date."""
    found: dict[int, list[CapPublic]] = {i: [] for i in authorization_ids}
    for code, cap in session.exec(
        select(Authorization.code, PriceCap)
        .join(Authorization, col(Authorization.id) == PriceCap.authorization_id)
        .where(col(PriceCap.authorization_id).in_(authorization_ids))
        .order_by(col(PriceCap.price_model), col(PriceCap.effective_from))
    ):
        found[cap.authorization_id].append(cap_public(code, cap))
    return found


# --- published fees -------------------------------------------------------------------------------
def record_price(session: Session, product: DataProduct, effective_from: dt.date) -> bool:
    """Keep the product's fee as published from ``effective_from``, unless it is the fee published
    last; True when a change was kept."""
    last = session.exec(
        select(PriceChange).where(PriceChange.product_id == product.id).order_by(col(PriceChange.id).desc())
    ).first()
    now = (product.use_category, product.price_model, product.price, product.price_unit, product.price_trial)
    if (
        last is not None
        and (last.use_category, last.price_model, last.price, last.price_unit, last.trial) == now
    ):
        return False
    session.add(
        PriceChange(
            product_id=saved_id(product),
            use_category=product.use_category,
            price_model=product.price_model,
            price=product.price,
            price_unit=product.price_unit,
            trial=product.price_trial,
            effective_from=effective_from,
            version=product.version,
        )
    )
    session.flush()
    return True


def _fee(row: PriceChange) -> tuple[object, ...]:
    return (row.use_category, row.price_model, row.price, row.price_unit, row.trial)


def price_histories(session: Session, product_ids: Sequence[int | None]) -> dict[int, list[PriceEntry]]:
    """Each product's published fees, newest first, by its id."""
    found: dict[int, list[PriceEntry]] = {}
    for row in session.exec(
        select(PriceChange)
        .where(col(PriceChange.product_id).in_(product_ids))
        .order_by(col(PriceChange.effective_from).desc(), col(PriceChange.id).desc())
    ):
        found.setdefault(row.product_id, []).append(
            PriceEntry(
                use_category=row.use_category,
                price_model=row.price_model,
                price=float(row.price) if row.price is not None else None,
                price_unit=row.price_unit,
                trial=row.trial,
                effective_from=row.effective_from,
                version=row.version,
            )
        )
    return found
