"""Registration use cases: registering an item at each step of its life (listing, a new version,
delisting), corrections and renewals, the public verification of a code, and the reminders before a
validity ends.

The content fingerprint (存证) of an act is the SHA-256 of its snapshot's canonical JSON: UTF-8, keys
sorted, no spaces (``json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``),
so anyone holding the snapshot the API answers can compute it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from catalog import db
from catalog.accounts import mail
from catalog.accounts.models import Organization
from catalog.audit import services as audit
from catalog.authorizations.queries import today
from catalog.datasets.models import Dataset, DatasetCreate, DatasetSector
from catalog.errors import Forbidden, Invalid, InvalidTransition, NotFound
from catalog.i18n import N_
from catalog.listings.models import Notification
from catalog.listings.states import ListingStatus, is_public
from catalog.listings.urls import (
    certificate_url,
    dataset_url,
    owner_url,
    product_url,
    verify_url,
)
from catalog.models_base import saved_id, utcnow
from catalog.permissions import Actor, can_manage_listings_of, can_review, require_write
from catalog.products.models import DataProduct, ProductCreate
from catalog.products.services import input_of, product_input
from catalog.registrations.models import Registration, RegistrationPublic
from catalog.registrations.queries import summarize
from catalog.registrations.states import RENEW_DAYS, Act, renewal_open, valid_until
from catalog.sectors.queries import sector_slugs_by_item

Item = DataProduct | Dataset


def canonical(snapshot: dict[str, Any]) -> bytes:
    """The bytes a fingerprint hashes."""
    return json.dumps(
        snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def fingerprint(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def snapshot(session: Session, kind: str, item: Item, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a registration records of an item: its metadata as its input says it (a product's with its
    materials; ``known``: that input, when the caller has it), its provider's credit code, and a
    product's sample as previewed."""
    provider = session.get(Organization, item.provider_id)
    if isinstance(item, DataProduct):
        given = known if known is not None else product_input(session, item)
        metadata = {k: v for k, v in given.items() if k not in ("status", "listed_at")}
        extra: dict[str, Any] = {"listing_no": item.listing_no, "sample": item.sample_preview}
    else:
        names = (
            "code", "title", "title_en", "description", "description_en", "security_grade",
            "sharing_condition", "update_frequency", "formats", "keywords", "spatial_coverage",
            "temporal_start", "temporal_end", "record_count",
        )  # fmt: skip
        sectors = sector_slugs_by_item(session, DatasetSector.dataset_id, DatasetSector.sector_id, [item.id])
        metadata = {n: getattr(item, n) for n in names} | {
            "schema": item.field_schema,
            "sectors": sectors.get(saved_id(item), []),
        }
        extra = {}
    data = {
        "kind": kind,
        "key": _key(item),
        "version": getattr(item, "version", ""),
        "provider": provider.code if provider else "",
        "metadata": metadata,
        **extra,
    }
    kept: dict[str, Any] = json.loads(canonical(data))  # as JSON keeps it: dates as text
    return kept


def _item(session: Session, kind: str, item_id: int) -> Item | None:
    if kind == "product":
        return session.get(DataProduct, item_id)
    return session.get(Dataset, item_id)


def _key(item: Item) -> str:
    return item.slug if isinstance(item, DataProduct) else item.code


def next_code(session: Session, year: int) -> str:
    """The next registration code of ``year``: HADP-DJ-<year>-<nnnnn>."""
    return db.next_number(session, col(Registration.code), f"HADP-DJ-{year}-", 5)


def _acts(session: Session, code: str) -> list[Registration]:
    return list(
        session.exec(select(Registration).where(Registration.code == code).order_by(col(Registration.id)))
    )


def register(
    session: Session,
    actor: Actor,
    kind: str,
    item: Item,
    act: Act,
    reason: str = "",
    on: dt.date | None = None,
    *,
    audited: bool = True,
    known: dict[str, Any] | None = None,
) -> Registration:
    """Record an act of the item's registration: a first registration gives a new code valid three
    years from ``on``; a renewal extends the validity by three years; a change, a correction and a
    cancellation keep it. Audited; the item keeps its current code."""
    on = on or today()
    previous = _acts(session, item.registration_code) if item.registration_code else []
    if act == Act.FIRST or not previous:
        code, start, until = next_code(session, on.year), on, valid_until(on)
        act = Act.FIRST
    elif act == Act.RENEWAL:
        last = previous[-1]
        start = max(last.valid_until + dt.timedelta(days=1), on)
        code, until = last.code, valid_until(start)
    else:
        last = previous[-1]
        code, start, until = last.code, last.valid_from, last.valid_until
    data = snapshot(session, kind, item, known)
    row = Registration(
        code=code,
        act=act,
        kind=kind,
        item_id=saved_id(item),
        version=getattr(item, "version", ""),
        valid_from=start,
        valid_until=until,
        snapshot=data,
        fingerprint=fingerprint(data),
        reason=reason[:2000],
        registered_by=actor.label,
    )
    session.add(row)
    item.registration_code = code
    session.add(item)
    session.flush()
    if not audited:  # an import: its one audit event says what it loaded
        return row
    audit.record(
        session,
        actor,
        f"registration.{act}",
        kind,
        _key(item),
        f"{code}: {act}, valid {start} – {until}" + (f": {reason}" if reason else ""),
        after={
            "code": code,
            "act": str(act),
            "fingerprint": row.fingerprint,
            "valid_until": until.isoformat(),
        },
    )
    return row


def register_imported(session: Session, actor: Actor, kind: str, data: ProductCreate | DatasetCreate) -> None:
    """An item imported listed (the seed, ``catalog import``) was registered when it was listed; one
    imported delisted, and then cancelled. Not audited one by one: the import's event says it."""
    if data.listed_at is None or data.status not in (ListingStatus.LISTED, ListingStatus.DELISTED):
        return
    item: Item | None
    known: dict[str, Any] | None = None
    if isinstance(data, ProductCreate):
        item = session.exec(select(DataProduct).where(DataProduct.slug == data.slug)).first()
        if item is not None:  # the input it was made from names its provider, licence, sectors, sources
            known = input_of(item, data.provider, data.licence, data.sectors, list(data.source_datasets))
    else:
        item = session.exec(select(Dataset).where(Dataset.code == data.code)).first()
    if item is None:
        return
    register(session, actor, kind, item, Act.FIRST, on=data.listed_at, audited=False, known=known)
    if data.status == ListingStatus.DELISTED:
        register(session, actor, kind, item, Act.CANCELLATION, "delisted", on=data.listed_at, audited=False)


def _find(session: Session, code: str) -> tuple[list[Registration], Item]:
    acts = _acts(session, code)
    if not acts:
        raise NotFound(f"no registration {code!r}")
    item = _item(session, acts[-1].kind, acts[-1].item_id)
    if item is None:
        raise NotFound(f"no registration {code!r}")
    return acts, item


def get_registration(session: Session, code: str) -> RegistrationPublic:
    """A registration's facts, status, validity and fingerprint, as anyone may verify them: whether the
    stored snapshot still hashes to its fingerprint, and whether the item's metadata now is what was
    registered last (None when the item is not public, whose metadata is not shown)."""
    acts, item = _find(session, code)
    last = acts[-1]
    public = is_public(item)
    provider = session.get(Organization, item.provider_id)
    url = product_url(_key(item)) if last.kind == "product" else dataset_url(_key(item))
    return RegistrationPublic(
        **summarize(acts).model_dump(),
        kind=last.kind,
        item={
            "id": _key(item),
            # an item no longer public shows the title it was registered under, not its draft's
            "title": item.title if public else str(last.snapshot.get("metadata", {}).get("title", "")),
            "title_en": item.title_en
            if public
            else str(last.snapshot.get("metadata", {}).get("title_en", "")),
            "url": url if public else None,
            "provider": provider.name if provider else "",
            "provider_en": provider.name_en if provider else "",
            "listing_no": getattr(item, "listing_no", None),
        },
        fingerprint=last.fingerprint,
        fingerprint_ok=fingerprint(last.snapshot) == last.fingerprint,
        matches_current=fingerprint(snapshot(session, last.kind, item)) == last.fingerprint
        if public
        else None,
        snapshot=last.snapshot if public else {},
        verify_url=verify_url(code),
        certificate_url=certificate_url(code),
    )


# --- what owners and reviewers do -----------------------------------------------------------------
def renew(session: Session, actor: Actor, code: str) -> RegistrationPublic:
    """The item's owners renew its registration, from 60 days before its validity ends: three years
    more, from the end (or from today, once it has passed)."""
    require_write(actor)
    acts, item = _find(session, code)
    if not can_manage_listings_of(actor, item.provider_id):
        raise Forbidden(N_("Only the item's owners renew its registration."))
    last = acts[-1]
    if item.registration_code != code:
        raise InvalidTransition("this code has been replaced by the item's newer registration", allowed=[])
    if not renewal_open(last.act, last.valid_until, today()):
        opens = last.valid_until - dt.timedelta(days=RENEW_DAYS)
        raise InvalidTransition(f"renewal opens on {opens}, 60 days before the validity ends", allowed=[])
    register(session, actor, last.kind, item, Act.RENEWAL)
    return get_registration(session, code)


class Correction(BaseModel):
    """Recorded facts fixed without a new version (更正): what was wrong, and the corrected text."""

    reason: str = Field(min_length=4, max_length=2000)
    title: str | None = Field(default=None, min_length=2, max_length=200)
    title_en: str | None = Field(default=None, min_length=2, max_length=300)
    summary: str | None = Field(default=None, min_length=5, max_length=500)
    summary_en: str | None = Field(default=None, max_length=800)
    description: str | None = Field(default=None, min_length=10, max_length=20000)
    description_en: str | None = Field(default=None, max_length=20000)


def correct(session: Session, actor: Actor, code: str, data: Correction) -> RegistrationPublic:
    """A reviewer corrects recorded facts of a registered item (its titles, summary or description)
    without a new version, and registers the correction with its reason."""
    require_write(actor)
    if not can_review(actor):
        raise Forbidden(N_("Only reviewers correct a registration."))
    acts, item = _find(session, code)
    if acts[-1].act == Act.CANCELLATION or item.registration_code != code:
        raise InvalidTransition("a cancelled or replaced registration cannot be corrected", allowed=[])
    changes = data.model_dump(exclude={"reason"}, exclude_none=True)
    if isinstance(item, Dataset):
        changes.pop("summary", None)
        changes.pop("summary_en", None)
    if not changes:
        raise Invalid(N_("Please correct the marked fields."), fields={"title": N_("Give what to correct.")})
    for name, value in changes.items():
        setattr(item, name, value.strip())
    item.updated_at = utcnow()  # an ORM change: the flush notes the item for the ChangeLog
    session.add(item)
    session.flush()
    register(session, actor, acts[-1].kind, item, Act.CORRECTION, data.reason.strip())
    return get_registration(session, code)


# --- reminders ------------------------------------------------------------------------------------
def remind_renewal(session: Session, on: dt.date | None = None) -> int:
    """Tell the owners of each item whose registration ends within 60 days (and the administrators),
    once per end date; how many were told of."""
    on = on or today()
    latest = select(func.max(Registration.id)).group_by(col(Registration.code))
    due = session.exec(
        select(Registration).where(
            col(Registration.id).in_(latest),
            Registration.act != Act.CANCELLATION,
            col(Registration.valid_until) >= on,
            col(Registration.valid_until) <= on + dt.timedelta(days=RENEW_DAYS),
            or_(
                col(Registration.reminded_on).is_(None),
                col(Registration.reminded_on) != Registration.valid_until,
            ),
        )
    ).all()
    told = 0
    for row in due:
        claimed = session.exec(
            update(Registration)
            .where(
                col(Registration.id) == row.id,
                or_(
                    col(Registration.reminded_on).is_(None), col(Registration.reminded_on) != row.valid_until
                ),
            )
            .values(reminded_on=row.valid_until)
            .execution_options(synchronize_session=False)
        ).rowcount
        item = _item(session, row.kind, row.item_id)
        if not claimed or item is None:
            continue
        text = (
            f"{item.title}：登记 {row.code} 将于 {row.valid_until} 到期，请在到期前申请续期。"
            f" / The registration {row.code} of {item.title_en or item.title} ends on {row.valid_until}:"
            " renew it."
        )
        session.add(Notification(organization_id=item.provider_id, text=text[:500], link=owner_url()))
        subject = f"淮安市数据港：登记即将到期 {row.code} / registration ending"
        mail.queue_to_owners_and_administrators(session, item.provider_id, subject, text)
        told += 1
    session.flush()
    return told
