"""Accounts use cases: registration, sign-in with lockout, sessions, passwords, reset links, API
tokens, actors.

Passwords are argon2id hashes (argon2-cffi). A signed-in browser holds a random session id (in the
signed cookie); the database keeps its SHA-256, so signing out, a password change or disabling the
account ends sessions whatever copy of the cookie survives. Reset links are signed, time-limited and
single-use: they carry the account's ``auth_version``, which every password change bumps. API tokens
are random; the database keeps only their SHA-256.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass, replace
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from catalog.accounts import credit_code, mail
from catalog.accounts.models import ApiToken, Membership, Organization, OutboxMail, User, UserSession
from catalog.audit import services as audit
from catalog.errors import CatalogError, Forbidden, Invalid, NotFound, Unauthorized
from catalog.i18n import N_
from catalog.listings.urls import password_reset_url, registration_url
from catalog.models_base import MAX_ID, saved_id, utcnow
from catalog.permissions import (
    Actor,
    can_administer,
    can_change_password,
    can_create_tokens,
    can_manage_tokens_of,
    can_revoke_tokens,
    require,
    require_person,
    require_user,
    require_write,
)
from catalog.settings import Settings

# argon2id's parameters by the CATALOG_PASSWORD_HASHING setting: the library's recommended ones (RFC 9106's
# low-memory choice, pinned by a test), or the cheapest argon2 allows, for test runs only
HASHING = {
    "standard": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
    "fast": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
}
TOKEN_PREFIX = "hdp_"
TOKEN_SCOPES = ("read", "write")
MIN_PASSWORD = 10
MAILS_PER_HOUR = 3  # mails to one address from the reset and registration forms
_profile = "standard"  # the HASHING profile in use: standard until an entry point says otherwise


def use_password_hashing(profile: str) -> None:
    """Hash new passwords with ``profile`` of ``HASHING`` from now on (the app factory and the CLI pass
    the setting)."""
    if profile not in HASHING:
        raise ValueError(f"unknown password hashing {profile!r}")
    global _profile
    _profile = profile


@functools.cache
def _hasher(profile: str) -> PasswordHasher:
    cost = HASHING[profile]
    return PasswordHasher(
        time_cost=cost["time_cost"], memory_cost=cost["memory_cost"], parallelism=cost["parallelism"]
    )


@functools.cache
def _dummy_hash(profile: str) -> str:
    """Verified against when the e-mail is unknown, so a sign-in takes as long for any address; made on
    first use, not when the module is imported."""
    return _hasher(profile).hash(secrets.token_urlsafe(16))


def hasher() -> PasswordHasher:
    return _hasher(_profile)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def _password_ok(user: User | None, password: str) -> bool:
    """Check ``password``; as slow for an unknown account or one without a password as for any other."""
    return _verify(user.password_hash if user is not None else None, password)


def _verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash; as slow when there is none (checked against
    the dummy hash), which never matches."""
    try:
        return hasher().verify(stored or _dummy_hash(_profile), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _check_password_rules(password: str, email: str, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password) <= 256 or password.isdigit() or password.lower() == email.lower():
        raise Invalid(
            N_("Choose a stronger password."),
            fields={field: N_("Use 10 to 256 characters, not only digits, and not your e-mail address.")},
        )


# --- actors ----------------------------------------------------------------------------------------
def actor_for_user(session: Session, user: User, can_write: bool = True) -> Actor:
    """The actor a signed-in user (or their token) acts as."""
    rows = session.exec(
        select(Membership.organization_id, Membership.role)
        .join(Organization, col(Organization.id) == Membership.organization_id)
        .where(Membership.user_id == user.id, Organization.suspended == False)  # noqa: E712
    ).all()
    return Actor(
        user_id=user.id,
        label=user.email,
        is_admin=user.is_admin,
        is_reviewer=user.is_reviewer,
        owner_of=frozenset(org for org, role in rows if role == "owner"),
        member_of=frozenset(org for org, role in rows if role != "owner"),
        can_write=can_write,
    )


def start_session(session: Session, user_id: int) -> str:
    """A new signed-in session for the user; the random id for the cookie (only its digest is kept)."""
    raw = secrets.token_urlsafe(32)
    session.add(UserSession(id=_digest(raw), user_id=user_id))
    session.flush()
    return raw


def session_actor(session: Session, hours: int, user_id: int, raw: str) -> Actor | None:
    """The actor of a session cookie, or None when the session has ended or expired, or the account is
    gone or disabled."""
    row = session.get(UserSession, _digest(raw)) if isinstance(raw, str) else None
    now = utcnow()
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return None
    if now - row.created_at > dt.timedelta(hours=hours):
        row.ended_at = now
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at > dt.timedelta(minutes=5):
        row.last_seen_at = now  # coarse, so that reading pages does not write on every request
    return replace(actor_for_user(session, user), session_id=row.id)


def end_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of the account (but ``keep``, the digest of the current one)."""
    query = update(UserSession).where(
        col(UserSession.user_id) == user_id,
        col(UserSession.ended_at) == None,  # noqa: E711
    )
    if keep is not None:
        query = query.where(col(UserSession.id) != keep)
    session.execute(query.values(ended_at=utcnow()))


def token_actor(session: Session, token: str) -> Actor:
    """The actor of a bearer token; 401 for an unknown, expired or revoked one."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("this API token is unknown, expired or revoked", reason="invalid_token")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the account of this API token is disabled", reason="invalid_token")
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        row.last_used_at = now  # coarse, so that reads do not write on every call
    return replace(actor_for_user(session, user, can_write=row.scope == "write"), via_token=True)


# --- registration --------------------------------------------------------------------------------
class Registration(BaseModel):
    """An enterprise and its first user, as the registration form gives them."""

    organization_name: str = Field(min_length=2, max_length=200)
    credit_code: str
    contact_name: str = Field(min_length=1, max_length=100)
    contact_phone: str = Field(min_length=5, max_length=40, pattern=r"^[0-9+\-() ]+$")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("credit_code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip().upper()
        if not credit_code.is_valid(value):  # 18 characters ending in the GB 32100 check digit
            raise ValueError(N_("This is not a valid unified social credit code: check the 18 characters."))
        return value


REGISTRATION_HOURS = 24  # a registration's link works this long; then another may take its address


def register(session: Session, settings: Settings, data: Registration) -> None:
    """Take a registration without telling whether its address or credit code has an account: the
    answer is the same (look in the mailbox) and the mail says what follows. A new enterprise (not yet
    verified) and its first user, its owner, wait inactive for the mailed link (``confirm``); an address
    with an account hears that someone tried to register with it; a new address whose credit code has an
    account hears to ask that organization's owner. Mails to one address are limited per hour."""
    _check_password_rules(data.password, data.email)
    password_hash = hash_password(data.password)  # whatever follows: the same work, the same time
    now = utcnow()
    user = session.exec(select(User).where(User.email == data.email)).first()
    org = session.exec(select(Organization).where(Organization.code == data.credit_code)).first()
    lapsed = {u.id: u for u in (user, _pending_owner(session, org)) if u is not None and _lapsed(u, now)}
    if lapsed:  # their links lapsed: the address and the code are free again
        for stale in lapsed.values():
            _drop_registration(session, stale)
        user = session.exec(select(User).where(User.email == data.email)).first()
        org = session.exec(select(Organization).where(Organization.code == data.credit_code)).first()
    if user is not None:
        _mail(
            session,
            data.email,
            "淮安市数据港：注册 / Huai'an Data Port: registration",
            "有人使用本邮箱在淮安市数据港注册。本邮箱已有账号：如是您本人，请直接登录，或重设密码。\n"
            "Someone registered at the Huai'an Data Port with this address, which has an account already:"
            " if it was you, sign in, or reset the password.\n",
        )
        return
    if org is not None:
        _mail(
            session,
            data.email,
            "淮安市数据港：注册 / Huai'an Data Port: registration",
            f"统一社会信用代码 {data.credit_code} 的单位已在淮安市数据港注册："
            "请联系该单位的账号负责人添加您，如该单位无人注册过，请联系市数据局。\n"
            f"The organization of credit code {data.credit_code} has an account at the Huai'an Data"
            " Port: ask its owner to add you, or the Data Bureau if nobody there registered it.\n",
        )
        return
    org = Organization(
        slug=f"org-{data.credit_code.lower()}",
        code=data.credit_code,
        name=data.organization_name.strip(),
        kind="enterprise",
        contact_phone=data.contact_phone,
        verified=False,
    )
    user = User(
        email=data.email,
        display_name=data.contact_name.strip(),
        password_hash=password_hash,
        is_active=False,
        pending_until=now + dt.timedelta(hours=REGISTRATION_HOURS),
    )
    session.add(org)
    session.add(user)
    session.flush()
    session.add(Membership(user_id=saved_id(user), organization_id=saved_id(org), role="owner"))
    session.flush()
    audit.record(
        session,
        Actor(label=user.email),  # by address: a registration whose link lapses is removed whole
        "account.register",
        "user",
        str(user.id),
        f"{user.email} registered {org.name}; waiting for the mailed link",
        after={"email": user.email, "organization": org.code},
    )
    link = settings.base_url + registration_url(_registration_serializer(settings).dumps({"u": user.id}))
    _mail(
        session,
        user.email,
        "淮安市数据港：完成注册 / Huai'an Data Port: finish your registration",
        f"请在 {REGISTRATION_HOURS} 小时内打开以下链接完成注册：\n{link}\n\n"
        f"Open this link within {REGISTRATION_HOURS} hours to finish registering:\n{link}\n\n"
        "如果您没有注册，请忽略本邮件。If you did not register, ignore this mail.\n",
    )


def confirm_registration(session: Session, settings: Settings, token: str) -> tuple[int, str]:
    """Open a registration's mailed link: its account is active and signed in (the user id and the
    session id for the cookie). ``Invalid`` for a link that is not one, or has lapsed."""
    lapsed = Invalid(N_("This registration link has lapsed or is not valid: register again."))
    try:
        data = _registration_serializer(settings).loads(token, max_age=REGISTRATION_HOURS * 3600)
    except BadSignature:  # SignatureExpired included
        raise lapsed from None
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.pending_until is None or _lapsed(user, utcnow()):
        raise lapsed
    user.is_active, user.pending_until = True, None
    session.flush()
    audit.record(
        session, actor_for_user(session, user), "account.confirm", "user", str(user.id), "registered"
    )
    return saved_id(user), start_session(session, saved_id(user))


def _registration_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="registration")


def _lapsed(user: User, now: dt.datetime) -> bool:
    return user.pending_until is not None and user.pending_until <= now


def _pending_owner(session: Session, org: Organization | None) -> User | None:
    """The user whose registration is waiting to make ``org`` (None when it was made otherwise)."""
    if org is None:
        return None
    members = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.organization_id == org.id)
    ).all()
    return members[0] if len(members) == 1 and members[0].pending_until is not None else None


def _drop_registration(session: Session, user: User) -> None:
    """Remove a registration whose link lapsed: its user and the organization it was making."""
    for membership in session.exec(select(Membership).where(Membership.user_id == user.id)).all():
        org = session.get(Organization, membership.organization_id)
        session.delete(membership)
        session.flush()
        if org is not None and not org.verified and not _members(session, org):
            session.delete(org)
    session.delete(user)
    session.flush()


def _members(session: Session, org: Organization) -> int:
    return session.exec(
        select(func.count()).select_from(Membership).where(Membership.organization_id == org.id)
    ).one()


def _mail(session: Session, to: str, subject: str, body: str) -> None:
    """Queue a mail unless the address had ``MAILS_PER_HOUR`` of ours already (no flood from a form)."""
    recent = session.exec(
        select(func.count())
        .select_from(OutboxMail)
        .where(OutboxMail.to == to, OutboxMail.created_at > utcnow() - dt.timedelta(hours=1))
    ).one()
    if recent < MAILS_PER_HOUR:
        mail.queue(session, to, subject, body)


def create_user(
    session: Session,
    actor: Actor,
    email: str,
    password: str,
    *,
    admin: bool = False,
    reviewer: bool = False,
    organization_code: str | None = None,
    role: str = "member",
) -> User:
    """An account made by an administrator or the CLI, optionally a member of an organization."""
    if not can_administer(actor):
        raise Forbidden("only administrators create accounts")
    email = email.strip().lower()
    _check_password_rules(password, email)
    if session.exec(select(User).where(User.email == email)).first():
        raise Invalid("this e-mail address has an account", fields={"email": "Choose another address."})
    user = User(email=email, password_hash=hash_password(password), is_admin=admin, is_reviewer=reviewer)
    session.add(user)
    session.flush()
    if organization_code:
        _set_membership(session, user, organization_code, role)
        session.flush()
    after = {"email": email, **_roles(session, user)}
    audit.record(session, actor, "user.create", "user", str(user.id), f"account {email} created", after=after)
    return user


def set_roles(
    session: Session,
    actor: Actor,
    email: str,
    *,
    admin: bool | None = None,
    reviewer: bool | None = None,
    active: bool | None = None,
    organization_code: str | None = None,
    role: str | None = None,
) -> dict[str, object]:
    """Change an account's site roles, its standing, or its role in one organization (``none``
    removes the membership); administrators only. The audit event holds before and after."""
    require_write(actor)
    require(can_administer(actor), actor, N_("Only administrators change roles."))
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no account {email!r}")
    before = _roles(session, user)
    if user.id == actor.user_id and (admin is False or active is False):
        raise Forbidden(N_("You cannot remove your own administrator role or disable your own account."))
    for name, value in (("is_admin", admin), ("is_reviewer", reviewer), ("is_active", active)):
        if value is not None:
            setattr(user, name, value)
    if before["is_admin"] and before["is_active"] and not (user.is_admin and user.is_active):
        session.flush()
        others = session.exec(
            select(func.count()).select_from(User).where(User.is_admin, User.is_active, User.id != user.id)
        ).one()
        if others == 0:  # checked in the changing transaction: the service keeps an administrator
            raise Forbidden(N_("The port must keep at least one active administrator."))
    if organization_code is not None:
        _set_membership(session, user, organization_code, role)
    session.flush()
    after = _roles(session, user)
    if after != before:
        if before["is_active"] and not after["is_active"]:
            end_sessions(session, saved_id(user))  # a disabled account's end at once
        audit.record(
            session,
            actor,
            "user.roles",
            "user",
            str(user.id),
            f"roles of {user.email} changed",
            before=before,
            after=after,
        )
    return after


def _set_membership(session: Session, user: User, organization_code: str, role: str | None) -> None:
    if role not in ("member", "owner", "none"):
        raise Invalid(
            N_("Please correct the marked fields."), fields={"role": N_("Use member, owner or none.")}
        )
    org = session.exec(select(Organization).where(Organization.code == organization_code.upper())).first()
    if org is None:
        raise NotFound(f"no organization with credit code {organization_code!r}")
    membership = session.exec(
        select(Membership).where(Membership.user_id == user.id, Membership.organization_id == org.id)
    ).first()
    if role == "none":
        if membership is not None:
            session.delete(membership)
    elif membership is None:
        session.add(Membership(user_id=saved_id(user), organization_id=saved_id(org), role=role))
    else:
        membership.role = role


def _roles(session: Session, user: User) -> dict[str, object]:
    rows = session.exec(
        select(Organization.code, Membership.role)
        .join(Membership, col(Membership.organization_id) == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(col(Organization.code))
    ).all()
    return {
        "is_admin": user.is_admin,
        "is_reviewer": user.is_reviewer,
        "is_active": user.is_active,
        "organizations": dict(rows),
    }


# --- signing in ----------------------------------------------------------------------------------
GENERIC_FAILURE = N_(
    "The e-mail address or the password is wrong, or the account is locked after repeated failures: "
    "try again later or reset the password."
)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, between taking one of the account's tries and knowing the answer."""

    email: str
    user_id: int | None = None
    password_hash: str | None = None  # None: the password is not checked (unknown, locked, disabled)


def reserve_attempt(session: Session, settings: Settings, email: str) -> Attempt:
    """Take one of the account's tries before its password is checked, in a transaction of its own:
    parallel guesses each take one, so no more than ``login_max_failures`` are ever checked before
    the account locks. A locked or disabled account gives none."""
    email = email.strip().lower()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.is_active:
        return Attempt(email)
    now = utcnow()
    tries = session.execute(
        update(User)
        .where(
            col(User.id) == user.id,
            (col(User.locked_until) == None) | (col(User.locked_until) <= now),  # noqa: E711
        )
        .values(failed_logins=User.failed_logins + 1)
        .returning(col(User.failed_logins))
    ).scalar_one_or_none()
    if tries is None or tries > settings.login_max_failures:
        return Attempt(email, user.id)  # locked, or the tries are all taken by attempts in flight
    return Attempt(email, user.id, user.password_hash)


def check_password(attempt: Attempt, password: str) -> bool:
    """The argon2 check, outside any transaction; as slow whether or not there is a hash to check."""
    return _verify(attempt.password_hash, password)


def finish_sign_in(
    session: Session, settings: Settings, attempt: Attempt, right: bool, password: str
) -> tuple[int, str] | CatalogError:
    """Sign in (the user id and a new session id for the cookie) or fail. Every failure gets the
    same answer — unknown address, wrong password, locked or disabled account — so the answer tells
    an attacker nothing; it is returned, not raised, so that the transaction commits."""
    user = session.get(User, attempt.user_id) if attempt.user_id is not None else None
    if user is None or not right or not user.is_active:
        if user is not None and attempt.password_hash is not None:
            _lock_when_spent(session, settings, user)
        return Unauthorized(GENERIC_FAILURE)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, utcnow()
    if hasher().check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    raw = start_session(session, saved_id(user))
    audit.record(session, actor_for_user(session, user), "account.login", "user", str(user.id), "signed in")
    return saved_id(user), raw


def _lock_when_spent(session: Session, settings: Settings, user: User) -> None:
    """After a wrong password: lock the account once its tries are spent (one audit event per lock)."""
    until = utcnow() + dt.timedelta(minutes=settings.login_lock_minutes)
    locked = session.execute(
        update(User)
        .where(col(User.id) == user.id, col(User.failed_logins) >= settings.login_max_failures)
        .values(locked_until=until, failed_logins=0)
        .returning(col(User.id))
    ).first()
    if locked is not None:
        audit.record(
            session,
            Actor(label=user.email),
            "account.locked",
            "user",
            str(user.id),
            f"locked for {settings.login_lock_minutes} minutes after repeated failed sign-ins",
        )
    session.expire(user)


def end_session(session: Session, actor: Actor) -> None:
    """Sign out: the browser's session ends here, whatever copy of its cookie survives."""
    if actor.user_id is not None and actor.session_id is not None:
        row = session.get(UserSession, actor.session_id)
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
        audit.record(session, actor, "account.logout", "user", str(actor.user_id), "signed out")


def change_password(session: Session, actor: Actor, current: str, new: str) -> None:
    """Change the signed-in user's password; every other session of the account ends and its API tokens
    are revoked, as a reset does. Only from a signed-in browser: an API token cannot change its
    account's password."""
    require_user(actor)
    if not can_change_password(actor):
        raise Forbidden(N_("Change the password on the account page, signed in."))
    user = session.get(User, actor.user_id)
    if user is None:
        raise Unauthorized(N_("Sign in again."))
    if not _password_ok(user, current):
        raise Invalid(
            N_("Please correct the marked fields."),
            fields={"current_password": N_("This is not your current password.")},
        )
    _check_password_rules(new, user.email, field="new_password")
    _set_password(user, new)
    end_sessions(session, saved_id(user), keep=actor.session_id)
    revoked = _revoke_tokens(session, saved_id(user))  # a token made under the old password goes with it
    audit.record(
        session,
        actor,
        "account.password_change",
        "user",
        str(user.id),
        f"password changed; {revoked} API tokens revoked",
    )


def _revoke_tokens(session: Session, user_id: int) -> int:
    """Revoke every API token of the account still in force; how many there were."""
    revoked = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at) == None)  # noqa: E711
        .values(revoked_at=utcnow())
    )
    return int(cast(CursorResult[Any], revoked).rowcount)  # an UPDATE's result is a cursor's


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.auth_version += 1
    user.failed_logins, user.locked_until = 0, None


def _reset_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="password-reset")


def request_password_reset(session: Session, settings: Settings, email: str) -> None:
    """Mail a reset link to the account of ``email``, if there is one (the answer is the same either way)."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.is_active:
        return
    token = _reset_serializer(settings).dumps({"u": user.id, "v": user.auth_version})
    link = settings.base_url + password_reset_url(token)
    _mail(  # past the hour's mails, the links already sent still work
        session,
        user.email,
        "淮安市数据港：重设密码 / Huai'an Data Port: reset your password",
        f"请在 {settings.reset_link_hours} 小时内打开以下链接重设密码（只能使用一次）：\n{link}\n\n"
        f"Open this link within {settings.reset_link_hours} hours to choose a new password (it works once):\n"
        f"{link}\n\n如果您没有申请重设密码，请忽略本邮件。If you did not ask for this, ignore this mail.\n",
    )
    audit.record(
        session,
        Actor(label=user.email),
        "account.password_reset_request",
        "user",
        str(user.id),
        "reset link mailed",
    )


def reset_password(session: Session, settings: Settings, token: str, new: str) -> None:
    """Set a new password through a reset link: valid for ``reset_link_hours``, once."""
    user = _reset_user(session, settings, token)
    _check_password_rules(new, user.email, field="new_password")
    _set_password(user, new)  # bumps auth_version: the link stops working
    # someone else may have had the account: end its sessions and revoke its tokens
    end_sessions(session, saved_id(user))
    _revoke_tokens(session, saved_id(user))
    audit.record(
        session,
        Actor(user_id=user.id, label=user.email),
        "account.password_reset",
        "user",
        str(user.id),
        "password reset through a mailed link",
    )


def check_reset_token(session: Session, settings: Settings, token: str) -> None:
    _reset_user(session, settings, token)


def _reset_user(session: Session, settings: Settings, token: str) -> User:
    try:
        data = _reset_serializer(settings).loads(token, max_age=settings.reset_link_hours * 3600)
    except SignatureExpired:
        raise Invalid(N_("This reset link has expired: ask for a new one.")) from None
    except BadSignature:
        raise Invalid(N_("This reset link is not valid: ask for a new one.")) from None
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.is_active or user.auth_version != data.get("v"):
        raise Invalid(N_("This reset link has been used or replaced: ask for a new one."))
    return user


# --- API tokens ----------------------------------------------------------------------------------
class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scope: str = "read"
    days: int = Field(default=90, ge=1, le=366)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        if value not in TOKEN_SCOPES:
            raise ValueError("scope must be read or write")
        return value


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, actor: Actor, data: TokenCreate) -> tuple[str, TokenPublic]:
    """A new token for the actor's own account: the secret (shown once) and its public record.
    A token cannot make tokens, so one leaked token cannot mint more."""
    user_id = require_person(actor)
    if not can_create_tokens(actor):
        raise Forbidden(N_("An API token cannot create tokens: create them signed in, or with the CLI."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user_id,
        name=data.name.strip(),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(secret),
        scope=data.scope,
        expires_at=utcnow() + dt.timedelta(days=data.days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        "api_token",
        str(row.id),
        f"token {row.name!r} ({row.scope})",
        after={"name": row.name, "scope": row.scope, "expires_at": row.expires_at.isoformat()},
    )
    return secret, TokenPublic.model_validate(row, from_attributes=True)


def list_tokens(session: Session, actor: Actor) -> list[TokenPublic]:
    require_user(actor)
    rows = session.exec(
        select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(col(ApiToken.created_at).desc())
    )
    return [TokenPublic.model_validate(r, from_attributes=True) for r in rows]


def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    """Revoke one of the actor's own tokens (administrators: anyone's)."""
    require_user(actor)
    row = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if row is None or not can_manage_tokens_of(actor, row.user_id):
        raise NotFound("no such token")
    if not can_revoke_tokens(actor):
        raise Forbidden("a read-scoped token cannot revoke tokens")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "token.revoke",
            "api_token",
            str(row.id),
            f"token {row.name!r} revoked",
            before={"revoked": False},
            after={"revoked": True},
        )


# --- the account page ----------------------------------------------------------------------------
class MembershipPublic(BaseModel):
    organization: str
    organization_slug: str
    role: str
    verified: bool


class AccountPublic(BaseModel):
    id: int
    email: str
    display_name: str
    is_admin: bool
    is_reviewer: bool
    memberships: list[MembershipPublic]
    tokens: list[TokenPublic]


def account(session: Session, actor: Actor) -> AccountPublic:
    """The signed-in user's account: roles, organizations and API tokens."""
    require_user(actor)
    user = session.get(User, actor.user_id)
    if user is None:
        raise Unauthorized(N_("Sign in again."))
    rows = session.exec(
        select(Organization, Membership.role)
        .join(Membership, col(Membership.organization_id) == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(col(Organization.name))
    ).all()
    return AccountPublic(
        id=saved_id(user),
        email=user.email,
        display_name=user.display_name,
        is_admin=user.is_admin,
        is_reviewer=user.is_reviewer,
        memberships=[
            MembershipPublic(organization=o.name, organization_slug=o.slug, role=role, verified=o.verified)
            for o, role in rows
        ],
        tokens=list_tokens(session, actor),
    )
