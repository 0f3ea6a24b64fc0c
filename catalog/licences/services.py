"""Licence use cases: reading, and the administrators' create and edit, with the ODRL policy checked.

A licence's ``version`` counts changes to its terms (the text or the ODRL policy): an access request
records the version its requester agreed to, and the audit event of each change keeps the terms it
replaced, so the text of every earlier version can still be read.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog.audit import services as audit
from catalog.errors import Invalid, NotFound
from catalog.i18n import N_
from catalog.licences.models import Licence, LicenceCreate, LicencePublic, LicenceRef
from catalog.listings.urls import api_licence_url
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.validation import JsonTooDeep, load_json

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
POLICY_TYPES = ("Policy", "Offer", "Set", "Agreement")
RULE_KINDS = ("permission", "prohibition", "obligation")
# the seed's older shape (plural names, ``duties``) -> ODRL's own names
_SEED_NAMES = {"permissions": "permission", "prohibitions": "prohibition", "duties": "obligation"}
RESERVED_CODES = ("new",)  # /admin/licences/new is the create form
STARTING_POLICY = {
    "@context": ODRL_CONTEXT,
    "@type": "Set",
    "permission": [{"action": "use"}],
}  # new licences


def import_licence(session: Session, actor: Actor, data: LicenceCreate) -> bool:
    """Create the licence unless one with its code exists; True when created."""
    if session.exec(select(Licence).where(Licence.code == data.code)).first():
        return False
    session.add(Licence(**data.model_dump()))
    session.flush()
    return True


class HasAddress(Protocol):
    code: str
    url: str


def licence_url(licence: HasAddress, base: str) -> str:
    """A licence's own web address (the Creative Commons deeds …), else its page in the port's API."""
    if licence.url.lower().startswith(("http://", "https://")):
        return licence.url
    return base + api_licence_url(licence.code)


def licence_ref(licence: Licence) -> LicenceRef:
    return LicenceRef(
        code=licence.code, name=licence.name, name_en=licence.name_en, kind=licence.kind, url=licence.url
    )


def licence_public(licence: Licence) -> LicencePublic:
    return LicencePublic.model_validate(licence, from_attributes=True)


def list_licences(session: Session) -> list[LicencePublic]:
    return [licence_public(lic) for lic in session.exec(select(Licence).order_by(col(Licence.id))).all()]


def get_licence(session: Session, code: str) -> LicencePublic:
    licence = session.exec(select(Licence).where(Licence.code == code)).first()
    if licence is None:
        raise NotFound(f"no licence {code!r}")
    return licence_public(licence)


# --- the ODRL policy ------------------------------------------------------------------------------
def read_odrl(text: str) -> dict[str, Any]:
    """The policy in a form's JSON text, checked; ``Invalid`` on the ``odrl`` field naming the problem."""
    try:
        policy = load_json(text)
    except json.JSONDecodeError as exc:
        detail = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise _bad_policy(N_("This is not valid JSON."), detail) from None
    except JsonTooDeep:  # no policy is
        raise _bad_policy(N_("This is not valid JSON."), "nested too deeply") from None
    check_odrl(policy)
    return cast(dict[str, Any], policy)  # check_odrl refused anything but a JSON object


def check_odrl(policy: Any) -> None:
    """An ODRL 2.2 policy: a JSON object typed Policy, Offer, Set or Agreement, with at least one rule in
    its ``permission``, ``prohibition`` and ``obligation`` lists, each rule an object with an action."""
    if not isinstance(policy, dict):
        raise _bad_policy(N_("The policy must be a JSON object, written {…}."))
    kind = policy.get("@type", policy.get("type"))
    if kind not in POLICY_TYPES:
        detail = f'"@type": {json.dumps(kind, ensure_ascii=False)}' if kind is not None else ""
        raise _bad_policy(N_('Give the policy an "@type" of Policy, Offer, Set or Agreement.'), detail)
    for old, new in _SEED_NAMES.items():
        if old in policy:
            raise _bad_policy(
                N_("Name the rule lists as ODRL does: permission, prohibition, obligation."),
                f'"{old}" → "{new}"',
            )
    rules = 0
    for name in RULE_KINDS:
        value = policy.get(name, [])
        if not isinstance(value, list):
            raise _bad_policy(N_("Each rule list must be a JSON list, written […]."), f'"{name}"')
        for number, rule in enumerate(value, start=1):
            if not isinstance(rule, dict) or not _has_action(rule):
                raise _bad_policy(
                    N_('Each rule must be a JSON object with an "action".'), f'"{name}" #{number}'
                )
        rules += len(value)
    if rules == 0:
        raise _bad_policy(N_("The policy needs at least one permission, prohibition or obligation."))


def _has_action(rule: dict[str, Any]) -> bool:
    action = rule.get("action")
    if isinstance(action, list):
        return bool(action) and all(_one_action(a) for a in action)
    return _one_action(action)


def _one_action(action: Any) -> bool:
    if isinstance(action, str):
        return bool(action.strip())
    return isinstance(action, dict) and bool(action.get("rdf:value") or action.get("@id") or action.get("id"))


def _bad_policy(message: str, detail: str = "") -> Invalid:
    """The message is translated where it is shown; ``odrl_detail`` points at the place, untranslated."""
    fields = {"odrl": message}
    if detail:
        fields["odrl_detail"] = detail
    return Invalid(N_("Please correct the marked fields."), fields=fields)


def as_odrl(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored policy in ODRL's own shape, for the edit form: the seed's licences use plural list names
    and no type (``{"permissions": […], "duties": […]}``); the meaning is the same."""
    if not stored or "@type" in stored or "type" in stored:
        return stored
    policy: dict[str, Any] = {"@context": ODRL_CONTEXT, "@type": "Set"}
    for key, value in stored.items():
        policy[_SEED_NAMES.get(key, key)] = value
    return {k: v for k, v in policy.items() if not (k in RULE_KINDS and v == [])}


def odrl_text(policy: dict[str, Any]) -> str:
    """The policy as the edit form shows it."""
    return json.dumps(policy, ensure_ascii=False, indent=2)


# --- administration -------------------------------------------------------------------------------
def _terms_text(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _snapshot(licence: Licence) -> dict[str, Any]:
    return {
        "code": licence.code,
        "name": licence.name,
        "name_en": licence.name_en,
        "kind": licence.kind,
        "url": licence.url,
        "summary": licence.summary,
        "summary_en": licence.summary_en,
        "terms": licence.terms,
        "odrl": licence.odrl,
        "version": licence.version,
    }


def _admin_licence(session: Session, actor: Actor, code: str) -> Licence:
    require(can_administer(actor), actor, N_("Only administrators manage licences."))
    licence = session.exec(select(Licence).where(Licence.code == code)).first()
    if licence is None:
        raise NotFound(f"no licence {code!r}")
    return licence


def licence_for_edit(session: Session, actor: Actor, code: str) -> LicencePublic:
    """A licence as its edit form starts: the policy in ODRL's own shape."""
    licence = licence_public(_admin_licence(session, actor, code))
    return licence.model_copy(update={"odrl": as_odrl(licence.odrl)})


def create_licence(session: Session, actor: Actor, data: LicenceCreate) -> str:
    """A new licence at version 1 (administrators); its code, which stays fixed."""
    require_write(actor)
    require(can_administer(actor), actor, N_("Only administrators manage licences."))
    check_odrl(data.odrl)
    if data.code in RESERVED_CODES or session.exec(select(Licence).where(Licence.code == data.code)).first():
        raise Invalid(
            N_("Please correct the marked fields."),
            fields={"code": N_("A licence with this code exists: choose another code.")},
        )
    licence = Licence(**{**data.model_dump(), "kind": str(data.kind), "terms": _terms_text(data.terms)})
    session.add(licence)
    try:
        with session.begin_nested():  # a parallel create of the same code
            session.flush()
    except IntegrityError:
        raise Invalid(
            N_("Please correct the marked fields."),
            fields={"code": N_("A licence with this code exists: choose another code.")},
        ) from None
    summary = f"licence {licence.code} created"
    audit.record(session, actor, "licence.create", "licence", licence.code, summary, after=_snapshot(licence))
    return licence.code


def update_licence(session: Session, actor: Actor, code: str, data: LicenceCreate) -> int:
    """Change a licence (its code stays); a change to its terms or ODRL policy makes a new version.
    The audit event keeps the replaced terms. Returns the licence's version."""
    require_write(actor)
    licence = _admin_licence(session, actor, code)
    check_odrl(data.odrl)
    before = _snapshot(licence)
    terms = _terms_text(data.terms)
    terms_changed = terms != _terms_text(licence.terms) or data.odrl != as_odrl(licence.odrl)
    for name in ("name", "name_en", "url", "summary", "summary_en"):
        setattr(licence, name, getattr(data, name))
    licence.kind = str(data.kind)
    licence.terms, licence.odrl = terms, data.odrl
    if terms_changed:
        licence.version += 1
    after = _snapshot(licence)
    if after != before:
        session.flush()
        summary = f"licence {licence.code} changed" + (
            f": terms version {licence.version}" if terms_changed else ""
        )
        audit.record(session, actor, "licence.update", "licence", licence.code, summary, before, after)
    return licence.version
