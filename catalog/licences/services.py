"""Licence use cases."""

from __future__ import annotations

from sqlmodel import Session, select

from catalog.errors import NotFound
from catalog.licences.models import Licence, LicenceCreate, LicencePublic, LicenceRef
from catalog.permissions import Actor


def import_licence(session: Session, actor: Actor, data: LicenceCreate) -> bool:
    """Create the licence unless one with its code exists; True when created."""
    if session.exec(select(Licence).where(Licence.code == data.code)).first():
        return False
    session.add(Licence(**data.model_dump()))
    session.flush()
    return True


def licence_ref(licence: Licence) -> LicenceRef:
    return LicenceRef(
        code=licence.code, name=licence.name, name_en=licence.name_en, kind=licence.kind, url=licence.url
    )


def licence_public(licence: Licence) -> LicencePublic:
    return LicencePublic.model_validate(licence, from_attributes=True)


def list_licences(session: Session) -> list[LicencePublic]:
    return [licence_public(lic) for lic in session.exec(select(Licence).order_by(Licence.id)).all()]


def get_licence(session: Session, code: str) -> LicencePublic:
    licence = session.exec(select(Licence).where(Licence.code == code)).first()
    if licence is None:
        raise NotFound(f"no licence {code!r}")
    return licence_public(licence)
