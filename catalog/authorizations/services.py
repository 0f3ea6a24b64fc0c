"""Authorization use cases: the public list, the administrators' grant, change and status steps (each
audited, the operator notified), and the reminders before an authorization ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from catalog import db
from catalog.accounts import mail
from catalog.accounts.models import Organization
from catalog.accounts.services import organization_ref, organization_refs
from catalog.audit import services as audit
from catalog.authorizations import states
from catalog.authorizations.models import (
    Authorization,
    AuthorizationCreate,
    AuthorizationDataset,
    AuthorizationPublic,
)
from catalog.authorizations.queries import today
from catalog.authorizations.states import AuthorizationStatus as S
from catalog.datasets.models import Dataset, SourceRef
from catalog.datasets.services import source_ref
from catalog.errors import Invalid, InvalidTransition, NotFound
from catalog.i18n import N_
from catalog.listings.models import Notification
from catalog.listings.urls import authorization_url, owner_url
from catalog.models_base import saved_id, utcnow
from catalog.pagination import Page, PageParams
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.pricing.caps import caps_of, default_caps
from catalog.settings import Settings
from catalog.site_settings.services import site_config
from catalog.vocabularies import OrganizationKind


class AuthorizationFilters(PageParams):
    operator: str | None = Field(default=None, max_length=64)  # organization slug
    dataset: str | None = Field(default=None, max_length=64)  # resource code
    status: S | None = None


# --- reading --------------------------------------------------------------------------------------
def _status_sql(status: S, on: dt.date) -> Any:
    """The SQL of an effective status: expired is active past its end, active is active before it."""
    if status == S.EXPIRED:
        return and_(col(Authorization.status) == S.ACTIVE, col(Authorization.ends_on) < on)
    if status == S.ACTIVE:
        return and_(col(Authorization.status) == S.ACTIVE, col(Authorization.ends_on) >= on)
    return col(Authorization.status) == status


def _filtered(session: Session, filters: AuthorizationFilters, on: dt.date) -> SelectOfScalar[Authorization]:
    query = select(Authorization)
    if filters.operator:
        query = query.join(Organization, col(Organization.id) == Authorization.operator_id).where(
            Organization.slug == filters.operator
        )
    if filters.dataset:
        covered = (
            select(AuthorizationDataset.authorization_id)
            .join(Dataset, col(Dataset.id) == AuthorizationDataset.dataset_id)
            .where(Dataset.code == filters.dataset)
        )
        query = query.where(col(Authorization.id).in_(covered))
    if filters.status:
        query = query.where(_status_sql(filters.status, on))
    return query


def list_authorizations(session: Session, filters: AuthorizationFilters) -> Page[AuthorizationPublic]:
    """Every authorization, public (27号 art. 18), newest term first; filtered by operator, dataset and
    status."""
    on = today()
    query = _filtered(session, filters, on)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Authorization.starts_on).desc(), col(Authorization.code))
        .offset(filters.offset)
        .limit(filters.per_page)
    ).all()
    return Page[AuthorizationPublic](
        total=total, page=filters.page, per_page=filters.per_page, items=_public(session, rows, on)
    )


def get_authorization(session: Session, code: str) -> AuthorizationPublic:
    return _public(session, [_find(session, code)], today())[0]


def operator_authorizations(session: Session, operator_ids: Sequence[int]) -> list[AuthorizationPublic]:
    """The authorizations of these organizations, ending soonest first (the owner's workspace)."""
    rows = session.exec(
        select(Authorization)
        .where(col(Authorization.operator_id).in_(operator_ids))
        .order_by(col(Authorization.ends_on), col(Authorization.code))
    ).all()
    return _public(session, rows, today())


def authorizations_in(session: Session, start: dt.date, end: dt.date) -> list[AuthorizationPublic]:
    """Every authorization whose term overlaps [start, end], by operator then start (the disclosure)."""
    rows = session.exec(
        select(Authorization)
        .where(col(Authorization.starts_on) <= end, col(Authorization.ends_on) >= start)
        .order_by(col(Authorization.operator_id), col(Authorization.starts_on), col(Authorization.code))
    ).all()
    return _public(session, rows, today())


def _find(session: Session, code: str) -> Authorization:
    found = session.exec(select(Authorization).where(Authorization.code == code)).first()
    if found is None:
        raise NotFound(f"no authorization {code!r}")
    return found


def _public(session: Session, rows: Sequence[Authorization], on: dt.date) -> list[AuthorizationPublic]:
    ids = [saved_id(a) for a in rows]
    scope: dict[int, list[SourceRef]] = {i: [] for i in ids}
    for authorization_id, dataset, provider in session.exec(
        select(AuthorizationDataset.authorization_id, Dataset, Organization)
        .join(Dataset, col(Dataset.id) == AuthorizationDataset.dataset_id)
        .join(Organization, col(Organization.id) == Dataset.provider_id)
        .where(col(AuthorizationDataset.authorization_id).in_(ids))
        .order_by(col(Dataset.code))
    ):
        scope[authorization_id].append(source_ref(dataset, provider))
    orgs = organization_refs(session, [a.operator_id for a in rows] + [a.grantor_id for a in rows])
    caps = caps_of(session, ids)
    return [
        AuthorizationPublic(
            id=a.code,
            agreement_ref=a.agreement_ref,
            grantor=orgs[a.grantor_id],
            operator=orgs[a.operator_id],
            purpose=a.purpose,
            purpose_en=a.purpose_en,
            starts_on=a.starts_on,
            ends_on=a.ends_on,
            status=states.effective_status(a.status, a.ends_on, on),
            status_reason=a.status_reason,
            in_force=states.in_force(a.status, a.starts_on, a.ends_on, on),
            ending_soon=states.ending_soon(a.status, a.ends_on, on),
            datasets=scope[saved_id(a)],
            caps=caps[saved_id(a)],
            url=authorization_url(a.code),
        )
        for a in rows
    ]


# --- granting and changing ------------------------------------------------------------------------
def next_code(session: Session, year: int) -> str:
    """The next authorization code of ``year``: HADP-SQ-<year>-<nnn>."""
    return db.next_number(session, col(Authorization.code), f"HADP-SQ-{year}-", 3)


def _resolve(
    session: Session, data: AuthorizationCreate, implementing_body: str
) -> tuple[Organization, Organization, list[Dataset]]:
    """The grantor, the operator and the datasets the input names; 422 naming what does not exist."""
    fields: dict[str, str] = {}
    grantor = session.exec(
        select(Organization).where(Organization.slug == (data.grantor or implementing_body))
    )
    grantor_org = grantor.first()
    if grantor_org is None:
        fields["grantor"] = N_("No such organization.")
    operator = session.exec(select(Organization).where(Organization.slug == data.operator)).first()
    if operator is None:
        fields["operator"] = N_("No such organization.")
    elif operator.kind != OrganizationKind.OPERATOR:
        fields["operator"] = N_("Only an authorized operator can be given an authorization.")
    codes = list(dict.fromkeys(data.datasets))
    datasets = session.exec(select(Dataset).where(col(Dataset.code).in_(codes))).all()
    unknown = sorted(set(codes) - {d.code for d in datasets})
    if unknown:
        fields["datasets"] = N_("No such dataset:") + " " + ", ".join(unknown)
    if fields or grantor_org is None or operator is None:
        raise Invalid(N_("Please correct the marked fields."), fields=fields)
    return grantor_org, operator, list(datasets)


def _snapshot(session: Session, a: Authorization) -> dict[str, Any]:
    codes = session.exec(
        select(Dataset.code)
        .join(AuthorizationDataset, col(AuthorizationDataset.dataset_id) == col(Dataset.id))
        .where(AuthorizationDataset.authorization_id == a.id)
        .order_by(col(Dataset.code))
    ).all()
    return {
        "agreement_ref": a.agreement_ref,
        "operator_id": a.operator_id,
        "purpose": a.purpose,
        "starts_on": a.starts_on.isoformat(),
        "ends_on": a.ends_on.isoformat(),
        "status": a.status,
        "datasets": list(codes),
    }


def _set_scope(session: Session, authorization: Authorization, datasets: list[Dataset]) -> None:
    for row in session.exec(
        select(AuthorizationDataset).where(AuthorizationDataset.authorization_id == authorization.id)
    ):
        session.delete(row)
    session.flush()
    for dataset in datasets:
        session.add(
            AuthorizationDataset(authorization_id=saved_id(authorization), dataset_id=saved_id(dataset))
        )
    session.flush()


def import_authorization(
    session: Session, actor: Actor, data: AuthorizationCreate, implementing_body: str
) -> bool:
    """Create the authorization unless one with its code exists (the seed); True when created."""
    if data.code and session.exec(select(Authorization).where(Authorization.code == data.code)).first():
        return False
    _create(session, actor, data, implementing_body, record=False)  # the seed's one audit event says it
    return True


def create_authorization(
    session: Session, actor: Actor, settings: Settings, data: AuthorizationCreate
) -> str:
    """An administrator grants an authorization, with the settings' fee caps as its first caps; its
    code."""
    require_write(actor)
    require(can_administer(actor), actor, "only administrators grant authorizations")
    authorization = _create(session, actor, data, settings.implementing_body)
    default_caps(session, authorization, site_config(session, settings).price_caps())
    return authorization.code


def _create(
    session: Session, actor: Actor, data: AuthorizationCreate, implementing_body: str, record: bool = True
) -> Authorization:
    grantor, operator, datasets = _resolve(session, data, implementing_body)
    authorization = Authorization(
        code=data.code or next_code(session, data.starts_on.year),
        agreement_ref=data.agreement_ref.strip(),
        grantor_id=saved_id(grantor),
        operator_id=saved_id(operator),
        purpose=data.purpose.strip(),
        purpose_en=data.purpose_en.strip(),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=data.status,
        status_reason=data.status_reason.strip(),
    )
    session.add(authorization)
    try:
        session.flush()
    except IntegrityError:
        raise Invalid(
            N_("Please correct the marked fields."), fields={"code": N_("This code is taken.")}
        ) from None
    _set_scope(session, authorization, datasets)
    if not record:
        return authorization
    audit.record(
        session,
        actor,
        "authorization.create",
        "authorization",
        authorization.code,
        f"{operator.name}: {len(datasets)} datasets, {data.starts_on} – {data.ends_on}",
        after=_snapshot(session, authorization),
    )
    _notify(
        session,
        authorization,
        f"{authorization.code}: authorization granted ({data.starts_on} – {data.ends_on})",
    )
    return authorization


def update_authorization(
    session: Session, actor: Actor, code: str, data: AuthorizationCreate, implementing_body: str
) -> None:
    """An administrator changes an authorization's scope, purpose, term or agreement (a renewal extends
    the term); its code and status stay."""
    require_write(actor)
    require(can_administer(actor), actor, "only administrators change authorizations")
    authorization = _find(session, code)
    grantor, operator, datasets = _resolve(session, data, implementing_body)
    before = _snapshot(session, authorization)
    authorization.agreement_ref = data.agreement_ref.strip()
    authorization.grantor_id = saved_id(grantor)
    authorization.operator_id = saved_id(operator)
    authorization.purpose = data.purpose.strip()
    authorization.purpose_en = data.purpose_en.strip()
    if data.ends_on != authorization.ends_on:
        authorization.reminded_on = None  # a new end: remind again before it
    authorization.starts_on = data.starts_on
    authorization.ends_on = data.ends_on
    authorization.updated_at = utcnow()
    session.add(authorization)
    _set_scope(session, authorization, datasets)
    after = _snapshot(session, authorization)
    audit.record(
        session, actor, "authorization.update", "authorization", code, "changed", before=before, after=after
    )
    _notify(session, authorization, f"{code}: authorization changed ({data.starts_on} – {data.ends_on})")


class StatusChange(BaseModel):
    to: S
    reason: str = Field(default="", max_length=2000)


def change_status(session: Session, actor: Actor, code: str, change: StatusChange) -> str:
    """Suspend, reinstate or revoke (``states.STEPS``), with the reason; the new status."""
    require_write(actor)
    require(can_administer(actor), actor, "only administrators change authorizations")
    authorization = _find(session, code)
    before = authorization.status
    step = states.find_step(before, change.to)
    if step is None:
        allowed = [s.target for s in states.steps_from(before)]
        raise InvalidTransition(f"an authorization {before} cannot become {change.to}", allowed=allowed)
    if step.needs_reason and not change.reason.strip():
        raise Invalid(N_("Please correct the marked fields."), fields={"reason": N_("Give the reason.")})
    if not db.claim_status(session, authorization, before, step.target):
        raise InvalidTransition("the authorization changed meanwhile: reload it", allowed=[])
    authorization.status_reason = change.reason.strip()
    authorization.updated_at = utcnow()
    session.add(authorization)
    session.flush()
    audit.record(
        session,
        actor,
        "authorization.status",
        "authorization",
        code,
        f"{before} → {step.target}" + (f": {change.reason.strip()}" if change.reason.strip() else ""),
        before={"status": before},
        after={"status": step.target, "reason": authorization.status_reason},
    )
    _notify(session, authorization, f"{code}: authorization {before} → {step.target}")
    return step.target


def _notify(session: Session, authorization: Authorization, text: str) -> None:
    session.add(Notification(organization_id=authorization.operator_id, text=text[:500], link=owner_url()))
    session.flush()


# --- reminders ------------------------------------------------------------------------------------
def _not_reminded() -> Any:
    """Not yet reminded of its present end date."""
    return or_(
        col(Authorization.reminded_on).is_(None), col(Authorization.reminded_on) != Authorization.ends_on
    )


def remind_ending(session: Session, on: dt.date | None = None) -> int:
    """Tell the operator's owners and the administrators, once per end date, of each authorization in
    force that ends within ``states.REMIND_DAYS``; how many were told of."""
    on = on or today()
    due = session.exec(
        select(Authorization).where(
            Authorization.status == S.ACTIVE,
            col(Authorization.ends_on) >= on,
            col(Authorization.ends_on) <= on + dt.timedelta(days=states.REMIND_DAYS),
            _not_reminded(),
        )
    ).all()
    for authorization in due:
        claimed = session.exec(
            update(Authorization)
            .where(col(Authorization.id) == authorization.id, _not_reminded())
            .values(reminded_on=authorization.ends_on)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue  # another node reminded of it meanwhile
        operator = session.get(Organization, authorization.operator_id)
        name = operator.name if operator else ""
        text = (
            f"{authorization.code}（{name}）授权运营期限将于 {authorization.ends_on} 届满，请及时申请续期。"
            f" / The authorization {authorization.code} ({name}) ends on {authorization.ends_on}:"
            " apply to renew it."
        )
        _notify(session, authorization, text)
        subject = f"淮安市数据港：授权即将到期 {authorization.code} / authorization ending"
        mail.queue_to_owners_and_administrators(session, authorization.operator_id, subject, text)
    return len(due)


# --- the administrators' form ---------------------------------------------------------------------
def form_values(session: Session, actor: Actor, code: str) -> dict[str, Any]:
    """An authorization as its edit form shows it."""
    require(can_administer(actor), actor, "only administrators change authorizations")
    a = _find(session, code)
    snapshot = _snapshot(session, a)
    operator = session.get(Organization, a.operator_id)
    grantor = session.get(Organization, a.grantor_id)
    return {
        "code": a.code,
        "agreement_ref": a.agreement_ref,
        "operator": operator.slug if operator else "",
        "grantor": grantor.slug if grantor else "",
        "datasets": " ".join(snapshot["datasets"]),
        "purpose": a.purpose,
        "purpose_en": a.purpose_en,
        "starts_on": a.starts_on.isoformat(),
        "ends_on": a.ends_on.isoformat(),
    }


def operator_choices(session: Session) -> list[tuple[str, str]]:
    """The organizations an authorization may be granted to (slug, name)."""
    rows = session.exec(
        select(Organization)
        .where(Organization.kind == OrganizationKind.OPERATOR)
        .order_by(col(Organization.name))
    )
    return [(o.slug, organization_ref(o).name) for o in rows]


def parse_form(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as ``AuthorizationCreate`` reads them (datasets: codes separated by spaces,
    commas or lines)."""
    data: dict[str, Any] = {k: v for k, v in form.items() if k != "csrftoken" and v != ""}
    data["datasets"] = [c for c in form.get("datasets", "").replace(",", " ").replace("，", " ").split() if c]
    return data
