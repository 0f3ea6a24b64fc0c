"""Datasets: public data resources that departments open to authorized operators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import model_validator
from sqlalchemy import JSON, BigInteger, Integer
from sqlmodel import Field, SQLModel

from catalog.accounts.models import OrganizationRef
from catalog.listings.models import FieldSpec
from catalog.listings.states import (
    CORE_DATA_REFUSED,
    ListingStatus,
    check_listing_date,
    core_data_refused,
)
from catalog.models_base import utcnow
from catalog.registrations.models import RegistrationSummary
from catalog.sectors.models import SectorRef
from catalog.validation import Word
from catalog.vocabularies import QualityRating, SecurityGrade, SharingCondition, UpdateFrequency


class Dataset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)  # resource code (资源代码)
    registration_code: str | None = Field(default=None, max_length=64)  # 登记编号
    title: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=300)
    description: str = Field(default="")
    description_en: str = Field(default="")
    provider_id: int = Field(foreign_key="organization.id", index=True)
    security_grade: str = Field(max_length=20)
    sharing_condition: str = Field(max_length=20)
    update_frequency: str = Field(max_length=20)
    formats: list[str] = Field(default_factory=list, sa_type=JSON)
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    field_schema: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    spatial_coverage: str = Field(default="", max_length=200)
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    # up to 2**63 - 1, as the input allows: PostgreSQL needs a bigint; SQLite's integer has 64 bits
    record_count: int | None = Field(default=None, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    quality_rating: str = Field(default="", max_length=2)
    status: str = Field(default="draft", max_length=20, index=True)
    listed_at: dt.datetime | None = Field(default=None, index=True)
    submitted_at: dt.datetime | None = Field(default=None, index=True)  # waiting for review since
    publicity_ends_at: dt.datetime | None = Field(default=None, index=True)  # 公示期 ends
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class DatasetSector(SQLModel, table=True):
    __tablename__ = "dataset_sector"

    dataset_id: int = Field(foreign_key="dataset.id", primary_key=True, ondelete="CASCADE")
    sector_id: int = Field(foreign_key="sector.id", primary_key=True, index=True)


class DatasetCreate(SQLModel):
    """A dataset as a department, an import file or the seed describes it; validated."""

    code: str = Field(min_length=3, max_length=64, schema_extra={"pattern": r"^[A-Z0-9][A-Z0-9-]*$"})
    title: str = Field(min_length=2, max_length=200)
    title_en: str = Field(min_length=2, max_length=300)
    description: str = Field(min_length=10, max_length=20000)
    description_en: str = Field(default="", max_length=20000)
    provider: str = Field(min_length=1, max_length=64)
    sectors: list[str] = Field(min_length=1)
    security_grade: SecurityGrade
    sharing_condition: SharingCondition
    update_frequency: UpdateFrequency
    formats: list[Word] = Field(default_factory=list)
    keywords: list[Word] = Field(default_factory=list)
    schema_fields: list[FieldSpec] = Field(min_length=1, alias="schema")
    spatial_coverage: str = Field(default="", max_length=200)
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    record_count: int | None = Field(default=None, ge=0, le=2**63 - 1)
    quality_rating: QualityRating | None = None
    status: ListingStatus = ListingStatus.DRAFT
    listed_at: dt.date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DatasetCreate:
        check_listing_date(self.status, self.listed_at)
        if core_data_refused("dataset", self.security_grade, self.status):
            raise ValueError(CORE_DATA_REFUSED)
        if self.temporal_start and self.temporal_end and self.temporal_end < self.temporal_start:
            raise ValueError("temporal_end is before temporal_start")
        return self


class DatasetRef(SQLModel):
    id: str  # the resource code
    title: str
    title_en: str = ""
    provider: OrganizationRef
    url: str


class SourceRef(SQLModel):
    """A product's source dataset as anyone may see it: a dataset that is not public (a draft, under
    review, delisted) shows its code only, and says so."""

    id: str  # the resource code
    public: bool
    title: str = ""
    title_en: str = ""
    provider: OrganizationRef | None = None
    url: str | None = None


class DatasetSummary(DatasetRef):
    description: str
    sectors: list[SectorRef]
    security_grade: str
    sharing_condition: str
    update_frequency: str
    quality_rating: str
    record_count: int | None
    status: str
    listed_at: dt.datetime | None


class DatasetAssessment(SQLModel, table=True):
    """A reviewer's quality assessment of a dataset on the six dimensions of GB/T 36344-2018."""

    __tablename__ = "dataset_assessment"

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True, ondelete="CASCADE")
    conformity: int  # 规范性, each a score out of 100
    completeness: int  # 完整性
    accuracy: int  # 准确性
    consistency: int  # 一致性
    timeliness: int  # 时效性
    accessibility: int  # 可访问性
    grade: str = Field(max_length=2)  # A-D, from the scores (``datasets/assessments.py``)
    assessed_on: dt.date
    assessor: str = Field(max_length=200)  # who assessed it: the reviewer or the assessing body
    document: str = Field(default="", max_length=200)  # the assessment report's reference
    notes: str = Field(default="", max_length=2000)
    recorded_by: str = Field(default="", max_length=254)
    created_at: dt.datetime = Field(default_factory=utcnow)


Score = Annotated[int, Field(ge=0, le=100)]


class AssessmentCreate(SQLModel):
    """A quality assessment as a reviewer or the seed records it."""

    dataset: str | None = Field(default=None, max_length=64)  # its resource code (the seed names it)
    conformity: Score
    completeness: Score
    accuracy: Score
    consistency: Score
    timeliness: Score
    accessibility: Score
    assessed_on: dt.date
    assessor: str = Field(min_length=2, max_length=200)
    document: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=2000)


class AssessmentPublic(SQLModel):
    scores: dict[str, int]  # by dimension, in GB/T 36344's order
    grade: str
    passed: bool  # counts toward the high-quality datasets target
    assessed_on: dt.date
    assessor: str
    document: str
    notes: str


class DatasetDetail(DatasetSummary):
    description_en: str
    assessment: AssessmentPublic | None = None  # the latest quality assessment
    registration: RegistrationSummary | None = None  # its registration (登记): code, validity, acts
    formats: list[str]
    keywords: list[str]
    schema_fields: list[dict[str, Any]]
    spatial_coverage: str
    temporal_start: dt.date | None
    temporal_end: dt.date | None
    products: list[DatasetProductRef]
    created_at: dt.datetime
    updated_at: dt.datetime


class DatasetProductRef(SQLModel):
    """A listed product built on a dataset."""

    id: str
    title: str
    title_en: str
    provider: OrganizationRef
    url: str
