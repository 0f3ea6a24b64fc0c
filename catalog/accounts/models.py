"""Organizations, users and their memberships."""

from __future__ import annotations

import datetime as dt

from pydantic import field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from catalog.accounts import credit_code
from catalog.models_base import utcnow
from catalog.vocabularies import OrganizationKind


class Organization(SQLModel, table=True):
    """A department, authorized operator or enterprise, identified by its unified social credit code."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    code: str = Field(max_length=18, unique=True, index=True)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    short_name: str = Field(default="", max_length=100)
    kind: str = Field(max_length=20, index=True)
    description: str = Field(default="")
    region: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=300)
    contact_phone: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=300)
    verified: bool = Field(default=False)
    suspended: bool = Field(default=False)
    created_at: dt.datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A person with an account; site-wide roles are flags, organization roles are memberships."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(default="", max_length=100)
    password_hash: str | None = Field(default=None, max_length=300)
    is_admin: bool = Field(default=False)
    is_reviewer: bool = Field(default=False)
    is_active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_login_at: dt.datetime | None = None
    failed_logins: int = Field(default=0)  # consecutive failures since the last success
    locked_until: dt.datetime | None = None
    # bumped by a password change or reset: sessions and reset links issued before it stop working
    auth_version: int = Field(default=1)
    # a registration waiting for its mailed link to be opened until then (inactive meanwhile); past
    # it, another registration may take the address and the credit code
    pending_until: dt.datetime | None = None


class UserSession(SQLModel, table=True):
    """A signed-in browser: the cookie names it, so signing out or a password change ends it here,
    whatever copy of the cookie survives."""

    __tablename__ = "user_session"

    id: str = Field(primary_key=True, max_length=64)  # SHA-256 of the random id in the cookie
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_seen_at: dt.datetime = Field(default_factory=utcnow)
    ended_at: dt.datetime | None = None


class ApiToken(SQLModel, table=True):
    """A personal API token: shown once, stored as its SHA-256 (tokens are random, so no salt)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)  # the token's first characters, to recognize it in lists
    token_hash: str = Field(max_length=64, unique=True, index=True)
    scope: str = Field(default="read", max_length=10)  # read | write
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None


class OutboxMail(SQLModel, table=True):
    """A mail to send: written in the transaction that causes it, sent by SMTP when configured."""

    __tablename__ = "outbox_mail"

    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=300)
    body: str
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    sent_at: dt.datetime | None = None
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)


class Membership(SQLModel, table=True):
    """A user's role (``member`` or ``owner``) in one organization."""

    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    organization_id: int = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    role: str = Field(default="member", max_length=20)
    created_at: dt.datetime = Field(default_factory=utcnow)


class OrganizationRef(SQLModel):
    """How other items show an organization."""

    id: str  # the slug
    name: str
    name_en: str = ""
    kind: str = ""
    verified: bool = True  # False: it registered itself and the administrators have not checked it yet


class OrganizationPublic(OrganizationRef):
    code: str
    short_name: str = ""
    description: str = ""
    region: str = ""
    website: str = ""
    verified: bool = False
    products_listed: int = 0
    datasets_listed: int = 0


class OrganizationCreate(SQLModel):
    """An organization as registration, an administrator or the seed describes it; validated."""

    slug: str = Field(min_length=2, max_length=64, schema_extra={"pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$"})
    code: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=2, max_length=200)
    name_en: str = Field(default="", max_length=200)
    short_name: str = Field(default="", max_length=100)
    kind: OrganizationKind
    description: str = Field(default="", max_length=5000)
    region: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=300)
    contact_phone: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=300)

    @field_validator("code")
    @classmethod
    def _valid_credit_code(cls, value: str) -> str:
        value = value.strip().upper()
        if not credit_code.is_valid(value):
            raise ValueError(
                "not a valid unified social credit code (统一社会信用代码): check the 18 characters"
            )
        return value
