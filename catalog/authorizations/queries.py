"""Which authorizations cover which datasets: the reads the listing, request and product packages ask."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from catalog.authorizations.models import Authorization, AuthorizationDataset, Standing
from catalog.authorizations.states import AuthorizationStatus, ending_soon
from catalog.datasets.models import Dataset
from catalog.errors import OutsideAuthorization
from catalog.i18n import N_
from catalog.models_base import saved_id
from catalog.products.models import DataProduct, ProductSource
from catalog.workdays import local_date


def today() -> dt.date:
    """Today in Beijing: terms begin and end on the city's dates."""
    return local_date(dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class _InForce:
    """What the coverage rules read of an authorization in force."""

    code: str
    ends_on: dt.date


def _in_force(
    session: Session, operator_ids: Iterable[int], on: dt.date
) -> dict[tuple[int, int], list[_InForce]]:
    """The authorizations in force on ``on`` of these operators, by (operator, dataset) they cover: the
    columns the rules read, not whole rows (a product page reads them on every view)."""
    found: dict[tuple[int, int], list[_InForce]] = {}
    rows = session.exec(
        select(
            col(AuthorizationDataset.dataset_id),
            col(Authorization.operator_id),
            col(Authorization.code),
            col(Authorization.ends_on),
        )
        .join(Authorization, col(Authorization.id) == AuthorizationDataset.authorization_id)
        .where(
            col(Authorization.operator_id).in_(set(operator_ids)),
            Authorization.status == AuthorizationStatus.ACTIVE,
            col(Authorization.starts_on) <= on,
            col(Authorization.ends_on) >= on,
        )
    )
    for dataset_id, operator_id, code, ends_on in rows:
        found.setdefault((operator_id, dataset_id), []).append(_InForce(code, ends_on))
    return found


def _standing(
    in_force: dict[tuple[int, int], list[_InForce]],
    operator_id: int,
    dataset_ids: Iterable[int],
    on: dt.date,
) -> tuple[Standing, list[int]]:
    found = {i: in_force.get((operator_id, i), []) for i in dataset_ids}
    outside = [i for i, auths in found.items() if not auths]
    # each dataset stays covered until the last of its authorizations ends; the product until the first
    ends = [max(a.ends_on for a in auths) for auths in found.values() if auths]
    if outside:
        state = "lapsed"
    elif ends and ending_soon(AuthorizationStatus.ACTIVE, min(ends), on):
        state = "ending_soon"
    else:
        state = "covered"
    codes = sorted({a.code for auths in found.values() for a in auths})
    return Standing(
        state=state, ends_on=min(ends) if ends else None, authorizations=codes, outside=[]
    ), outside


def standings(session: Session, products: Sequence[DataProduct]) -> dict[int, Standing]:
    """Each product's standing, by its id, in three queries: every source inside an authorization of
    its provider in force today (and until when), or lapsed, with the datasets outside."""
    on = today()
    ids = [p.id for p in products]
    sources: dict[int, list[int]] = {}
    for product_id, dataset_id in session.exec(
        select(ProductSource.product_id, ProductSource.dataset_id).where(
            col(ProductSource.product_id).in_(ids)
        )
    ):
        sources.setdefault(product_id, []).append(dataset_id)
    in_force = _in_force(session, {p.provider_id for p in products}, on)
    found: dict[int, Standing] = {}
    outside_ids: dict[int, list[int]] = {}
    for product in products:
        pid = saved_id(product)
        found[pid], outside_ids[pid] = _standing(in_force, product.provider_id, sources.get(pid, []), on)
    codes = _codes(session, [i for ids_ in outside_ids.values() for i in ids_])
    for pid, outside in outside_ids.items():
        found[pid].outside = sorted(codes[i] for i in outside)
    return found


def product_standing(session: Session, product: DataProduct) -> Standing:
    """Whether the product's sources are inside authorizations of its provider in force today."""
    return standings(session, [product])[saved_id(product)]


def check_requestable(session: Session, product: DataProduct) -> None:
    """422 ``outside_authorization`` when the authorization behind the product is no longer in force:
    it stays listed, flagged, but takes no new access requests."""
    outside = product_standing(session, product).outside
    if outside:
        raise OutsideAuthorization(
            N_("The authorization this product is operated under is not in force: it takes no new requests."),
            datasets=outside,
        )


def source_ids(session: Session, product_id: int | None) -> list[int]:
    """The ids of a product's source datasets."""
    return list(session.exec(select(ProductSource.dataset_id).where(ProductSource.product_id == product_id)))


def operated_under(session: Session, operator_id: int, dataset_ids: Iterable[int]) -> list[str]:
    """The codes of the operator's authorizations in force that cover any of these datasets."""
    on = today()
    found, _ = _standing(_in_force(session, [operator_id], on), operator_id, dataset_ids, on)
    return found.authorizations


def check_within(session: Session, operator_id: int, dataset_ids: Iterable[int]) -> None:
    """422 ``outside_authorization``, naming the datasets, unless an authorization of the operator in
    force today covers every one of them."""
    on = today()
    _, outside = _standing(_in_force(session, [operator_id], on), operator_id, dataset_ids, on)
    if outside:
        raise OutsideAuthorization(
            N_("Every source dataset must be inside an authorization of the provider in force today."),
            datasets=sorted(_codes(session, outside).values()),
        )


def _codes(session: Session, dataset_ids: list[int]) -> dict[int, str]:
    if not dataset_ids:
        return {}
    rows = session.exec(select(Dataset.id, Dataset.code).where(col(Dataset.id).in_(set(dataset_ids))))
    return {i: code for i, code in rows if i is not None}
