"""The licence table."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from catalog.vocabularies import LicenceKind


class Licence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: str = Field(max_length=20)
    url: str = Field(default="", max_length=300)
    summary: str = Field(default="")
    summary_en: str = Field(default="")
    terms: str = Field(default="")
    odrl: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    version: int = Field(default=1)


class LicenceRef(SQLModel):
    code: str
    name: str
    name_en: str = ""
    kind: str = ""
    url: str = ""


class LicencePublic(LicenceRef):
    summary: str = ""
    summary_en: str = ""
    terms: str = ""
    odrl: dict[str, Any] = {}
    version: int = 1


class LicenceCreate(SQLModel):
    code: str = Field(min_length=2, max_length=64, schema_extra={"pattern": r"^[a-z0-9][a-z0-9.-]*$"})
    name: str = Field(min_length=2, max_length=200)
    name_en: str = Field(min_length=2, max_length=200)
    kind: LicenceKind
    url: str = Field(default="", max_length=300)
    summary: str = Field(min_length=5, max_length=2000)
    summary_en: str = Field(default="", max_length=2000)
    terms: str = Field(min_length=20)
    odrl: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("the licence's address must start with http:// or https://")
        return value
