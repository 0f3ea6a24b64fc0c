"""Data products, their sectors and their lineage to source datasets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import model_validator
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from catalog.accounts.models import OrganizationRef
from catalog.authorizations.models import Standing
from catalog.datasets.models import SourceRef
from catalog.licences.models import LicencePublic, LicenceRef
from catalog.listings.models import FieldSpec
from catalog.listings.states import (
    CORE_DATA_REFUSED,
    ListingStatus,
    check_listing_date,
    core_data_refused,
)
from catalog.listings.workflow import RevisionStatus
from catalog.models_base import utcnow
from catalog.pricing.models import CapPublic, PriceEntry
from catalog.registrations.models import RegistrationSummary
from catalog.sectors.models import SectorRef
from catalog.validation import Word
from catalog.vocabularies import (
    DeliveryMode,
    PriceModel,
    ProductType,
    SecurityGrade,
    SourceType,
    UpdateFrequency,
    UseCategory,
    carries_price,
)


class DataProduct(SQLModel, table=True):
    __tablename__ = "data_product"
    __table_args__ = (UniqueConstraint("provider_id", "creation_key", name="uq_data_product_creation_key"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True, index=True)
    listing_no: str | None = Field(default=None, max_length=32, unique=True)  # 挂牌编号
    registration_code: str | None = Field(default=None, max_length=64)  # 登记编号
    title: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=300)
    summary: str = Field(default="", max_length=500)
    summary_en: str = Field(default="", max_length=800)
    description: str = Field(default="")
    description_en: str = Field(default="")
    provider_id: int = Field(foreign_key="organization.id", index=True)
    product_type: str = Field(max_length=20, index=True)
    delivery_mode: str = Field(max_length=20)
    update_frequency: str = Field(max_length=20)
    source_type: str = Field(max_length=20)
    security_grade: str = Field(max_length=20)
    personal_info: bool = Field(default=False)
    deidentification: str = Field(default="")
    permitted_purpose: str = Field(default="")
    usage_term_months: int | None = None
    other_restrictions: str = Field(default="")
    licence_id: int = Field(foreign_key="licence.id", index=True)
    extra_terms: str = Field(default="")
    use_category: str = Field(default="industry", max_length=20)
    price_model: str = Field(max_length=20)
    price: Decimal | None = Field(default=None, max_digits=14, decimal_places=4)
    price_unit: str = Field(default="", max_length=20)
    price_trial: bool = Field(default=False)  # a trial fee (试行收费标准)
    # the registration's materials (26号): the lawful-source statement, the data-security risk
    # assessment and the compliance assessment (who, when, the result or grade, the report)
    lawful_source: str = Field(default="")
    risk_assessor: str = Field(default="", max_length=200)
    risk_assessed_on: dt.date | None = None
    risk_result: str = Field(default="", max_length=200)
    risk_report: str = Field(default="", max_length=200)
    compliance_assessor: str = Field(default="", max_length=200)
    compliance_assessed_on: dt.date | None = None
    compliance_grade: str = Field(default="", max_length=200)
    compliance_report: str = Field(default="", max_length=200)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    scenarios: list[str] = Field(default_factory=list, sa_type=JSON)
    field_schema: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    input_fields: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    output_fields: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    version: str = Field(default="1.0", max_length=20)
    status: str = Field(default="draft", max_length=20, index=True)
    listed_at: dt.datetime | None = Field(default=None, index=True)
    submitted_at: dt.datetime | None = Field(default=None, index=True)  # waiting for review since
    publicity_ends_at: dt.datetime | None = Field(default=None, index=True)  # 公示期 ends
    creation_key: str | None = Field(default=None, max_length=100)  # the Idempotency-Key it was made with
    sample_name: str = Field(default="", max_length=200)  # the uploaded sample file's name
    sample_preview: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # {"columns", "rows"}
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ProductSector(SQLModel, table=True):
    __tablename__ = "product_sector"

    product_id: int = Field(foreign_key="data_product.id", primary_key=True, ondelete="CASCADE")
    sector_id: int = Field(foreign_key="sector.id", primary_key=True, index=True)


class ProductSource(SQLModel, table=True):
    """Lineage: a product is derived from (``prov:wasDerivedFrom``) these datasets."""

    __tablename__ = "product_source"

    product_id: int = Field(foreign_key="data_product.id", primary_key=True, ondelete="CASCADE")
    dataset_id: int = Field(foreign_key="dataset.id", primary_key=True, index=True)


class ProductCreate(SQLModel):
    """A product as an owner, an import file or the seed describes it; validated."""

    slug: str = Field(min_length=3, max_length=120, schema_extra={"pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$"})
    title: str = Field(min_length=2, max_length=200)
    title_en: str = Field(min_length=2, max_length=300)
    summary: str = Field(min_length=5, max_length=500)
    summary_en: str = Field(default="", max_length=800)
    description: str = Field(min_length=10, max_length=20000)
    description_en: str = Field(default="", max_length=20000)
    provider: str = Field(min_length=1, max_length=64)  # organization slug
    source_datasets: list[Word] = Field(min_length=1)
    sectors: list[str] = Field(min_length=1)
    tags: list[Word] = Field(default_factory=list)
    scenarios: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list)
    product_type: ProductType
    delivery_mode: DeliveryMode
    update_frequency: UpdateFrequency
    source_type: SourceType
    security_grade: SecurityGrade
    personal_info: bool = False
    deidentification: str | None = None
    permitted_purpose: str = Field(min_length=2, max_length=2000)
    usage_term_months: int = Field(ge=1, le=120)
    other_restrictions: str | None = Field(default=None, max_length=2000)
    licence: str = Field(min_length=1, max_length=64, alias="license")  # its code; published as license
    extra_terms: str | None = Field(default=None, max_length=5000)
    use_category: UseCategory = UseCategory.INDUSTRY
    price_model: PriceModel
    price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    price_unit: str | None = Field(default=None, max_length=20)
    price_trial: bool = False  # a trial fee (试行), until a full year of operation
    lawful_source: str = Field(default="", max_length=5000)
    risk_assessor: str = Field(default="", max_length=200)
    risk_assessed_on: dt.date | None = None
    risk_result: str = Field(default="", max_length=200)
    risk_report: str = Field(default="", max_length=200)
    compliance_assessor: str = Field(default="", max_length=200)
    compliance_assessed_on: dt.date | None = None
    compliance_grade: str = Field(default="", max_length=200)
    compliance_report: str = Field(default="", max_length=200)
    schema_fields: list[FieldSpec] = Field(default_factory=list, alias="schema")
    input_fields: list[FieldSpec] = Field(default_factory=list)
    output_fields: list[FieldSpec] = Field(default_factory=list)
    status: ListingStatus = ListingStatus.DRAFT
    listed_at: dt.date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProductCreate:
        if self.personal_info and not (self.deidentification or "").strip():
            raise ValueError("a product with personal information needs a de-identification statement")
        if core_data_refused("product", self.security_grade, self.status):
            raise ValueError(CORE_DATA_REFUSED)
        priced = carries_price(self.price_model)
        if priced and not (self.price and self.price > 0 and self.price_unit):
            raise ValueError(f"price model {self.price_model} needs a price above 0 and a unit")
        if not priced and self.price:
            raise ValueError(f"price model {self.price_model} takes no price")
        check_listing_date(self.status, self.listed_at)
        return self


class VersionEntry(SQLModel):
    version: str
    date: dt.datetime | None
    summary: str


class ProductSummary(SQLModel):
    """A product as lists show it."""

    id: str  # the slug
    listing_no: str | None
    title: str
    title_en: str
    summary: str
    summary_en: str
    provider: OrganizationRef
    sectors: list[SectorRef]
    license: LicenceRef
    product_type: str
    delivery_mode: str
    price_model: str
    price: float | None
    price_unit: str
    status: str
    listed_at: dt.datetime | None
    url: str


class ProductDetail(ProductSummary):
    """Everything about one product."""

    registration_code: str | None
    description: str
    description_en: str
    source_datasets: list[SourceRef]
    tags: list[str]
    scenarios: list[str]
    update_frequency: str
    source_type: str
    security_grade: str
    personal_info: bool
    deidentification: str
    permitted_purpose: str
    usage_term_months: int | None
    other_restrictions: str
    extra_terms: str
    use_category: str = "industry"
    license_detail: LicencePublic
    schema_fields: list[dict[str, Any]]
    input_fields: list[dict[str, Any]]
    output_fields: list[dict[str, Any]]
    version: str
    versions: list[VersionEntry] = []  # newest first
    sample_name: str = ""
    sample_preview: dict[str, Any] | None = None  # {"columns": [...], "rows": [[...], ...]}
    # its sources inside authorizations of its provider in force (27号): covered, ending_soon or lapsed
    authorization: Standing | None = None
    price_trial: bool = False
    price_cap: CapPublic | None = None  # the cap its price is held to, for industry use
    price_history: list[PriceEntry] = []  # every fee it has published, newest first
    registration: RegistrationSummary | None = None  # its registration (登记): code, validity, acts
    # the registration's materials (26号)
    lawful_source: str = ""
    risk_assessor: str = ""
    risk_assessed_on: dt.date | None = None
    risk_result: str = ""
    risk_report: str = ""
    compliance_assessor: str = ""
    compliance_assessed_on: dt.date | None = None
    compliance_grade: str = ""
    compliance_report: str = ""
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductRevision(SQLModel, table=True):
    """A new version of a listed product, reviewed while the listed version stays public."""

    __tablename__ = "product_revision"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="data_product.id", index=True, ondelete="CASCADE")
    base_version: str = Field(max_length=20)  # the version it changes
    version: str = Field(default="", max_length=20)  # given on approval
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # the whole product input
    change_summary: str = Field(default="", max_length=2000)
    status: str = Field(default=RevisionStatus.DRAFT, max_length=24, index=True)
    reason: str = Field(default="")  # the reviewer's, when changes are requested or it is rejected
    created_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    decided_by: str = Field(default="", max_length=254)
