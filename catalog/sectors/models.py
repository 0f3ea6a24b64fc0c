"""The sector table."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Sector(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    description: str = Field(default="")
    description_en: str = Field(default="")
    task: int | None = None  # the action plan's task number
    position: int = Field(default=0)


class SectorRef(SQLModel):
    id: str  # the slug
    name: str
    name_en: str = ""


class SectorPublic(SectorRef):
    description: str = ""
    description_en: str = ""
    task: int | None = None
    products_listed: int = 0
    datasets_listed: int = 0


class SectorCreate(SQLModel):
    slug: str = Field(min_length=2, max_length=64, schema_extra={"pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$"})
    name: str = Field(min_length=2, max_length=100)
    name_en: str = Field(min_length=2, max_length=100)
    description: str = Field(default="", max_length=2000)
    description_en: str = Field(default="", max_length=2000)
    task: int | None = None
