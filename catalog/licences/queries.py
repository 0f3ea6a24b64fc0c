"""Reads of licences that other packages need."""

from __future__ import annotations

from sqlmodel import Session, select

from catalog.licences.models import Licence


def licence_codes(session: Session) -> dict[int, str]:
    """Each licence's code, by its id."""
    return {lc.id: lc.code for lc in session.exec(select(Licence)) if lc.id is not None}


def licences_by_id(session: Session) -> dict[int, Licence]:
    """Every licence, by its id."""
    return {lc.id: lc for lc in session.exec(select(Licence)) if lc.id is not None}
