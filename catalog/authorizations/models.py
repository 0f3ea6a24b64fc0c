"""Authorizations, the datasets each covers, and how they are shown."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationInfo, field_validator
from sqlmodel import Field, SQLModel

from catalog.accounts.models import OrganizationRef
from catalog.authorizations.states import MAX_TERM_YEARS, AuthorizationStatus, latest_end
from catalog.datasets.models import SourceRef
from catalog.models_base import utcnow
from catalog.pricing.models import CapPublic
from catalog.validation import Word

CODE_PATTERN = r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$"


class Authorization(SQLModel, table=True):
    """The implementing body (实施机构) authorizes an operator (运营机构) to operate datasets."""

    __tablename__ = "operation_authorization"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)  # HADP-SQ-<year>-<nnn>
    agreement_ref: str = Field(default="", max_length=100)  # 授权协议编号
    grantor_id: int = Field(foreign_key="organization.id")  # the implementing body
    operator_id: int = Field(foreign_key="organization.id", index=True)
    purpose: str = Field(default="", max_length=2000)
    purpose_en: str = Field(default="", max_length=3000)
    starts_on: dt.date
    ends_on: dt.date = Field(index=True)
    status: str = Field(default=AuthorizationStatus.ACTIVE, max_length=20, index=True)  # as stored
    status_reason: str = Field(default="", max_length=2000)
    reminded_on: dt.date | None = None  # the end the operator was reminded of (renewal)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class AuthorizationDataset(SQLModel, table=True):
    """An authorization's scope: the datasets it covers."""

    __tablename__ = "authorization_dataset"

    authorization_id: int = Field(
        foreign_key="operation_authorization.id", primary_key=True, ondelete="CASCADE"
    )
    dataset_id: int = Field(foreign_key="dataset.id", primary_key=True, index=True)


class AuthorizationCreate(SQLModel):
    """An authorization as an administrator or the seed gives it; validated."""

    code: str | None = Field(
        default=None, min_length=4, max_length=40, schema_extra={"pattern": CODE_PATTERN}
    )
    agreement_ref: str = Field(min_length=2, max_length=100)
    grantor: str | None = Field(default=None, max_length=64)  # organization slug; the implementing body
    operator: str = Field(min_length=1, max_length=64)  # organization slug
    datasets: list[Word] = Field(min_length=1)  # resource codes
    purpose: str = Field(min_length=2, max_length=2000)
    purpose_en: str = Field(default="", max_length=3000)
    starts_on: dt.date
    ends_on: dt.date
    status: AuthorizationStatus = AuthorizationStatus.ACTIVE
    status_reason: str = Field(default="", max_length=2000)

    @field_validator("ends_on")
    @classmethod
    def _term(cls, ends_on: dt.date, info: ValidationInfo) -> dt.date:
        starts_on = info.data.get("starts_on")
        if starts_on is None:
            return ends_on  # its own error is reported
        if ends_on < starts_on:
            raise ValueError("the term ends before it starts")
        if ends_on > latest_end(starts_on):
            raise ValueError(
                f"the term may last at most {MAX_TERM_YEARS} years (until {latest_end(starts_on)})"
            )
        return ends_on

    @field_validator("status")
    @classmethod
    def _stored(cls, status: AuthorizationStatus) -> AuthorizationStatus:
        if status == AuthorizationStatus.EXPIRED:
            raise ValueError("expired is not given: an active authorization past its end has expired")
        return status


class AuthorizationPublic(SQLModel):
    """An authorization as anyone may see it (27号 art. 18: to whom, what, scope, term)."""

    id: str  # the code
    agreement_ref: str
    grantor: OrganizationRef
    operator: OrganizationRef
    purpose: str
    purpose_en: str
    starts_on: dt.date
    ends_on: dt.date
    status: str  # active, suspended, expired or revoked
    status_reason: str
    in_force: bool
    ending_soon: bool  # in force, ending within 60 days
    datasets: list[SourceRef]
    caps: list[CapPublic] = []  # the fee caps set under it (65号), by charging unit and date
    url: str


class Standing(SQLModel):
    """Whether a product's source datasets are inside active authorizations of its provider."""

    state: str  # covered | ending_soon | lapsed
    ends_on: dt.date | None  # the earliest end among the authorizations covering it
    authorizations: list[str]  # their codes
    outside: list[str]  # source datasets no authorization in force covers, by code
