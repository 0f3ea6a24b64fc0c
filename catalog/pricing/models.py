"""Fee caps (上限收费标准) the implementing body sets per authorization and charging unit, and the
history of each product's published fee (明码标价), per the pricing notice (发改价格〔2025〕65号)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Field, SQLModel

from catalog.models_base import utcnow
from catalog.vocabularies import PriceModel


class PriceCap(SQLModel, table=True):
    """The highest fee an operator may charge under an authorization, per charging unit, from a date:
    the cap in force is the one with the latest ``effective_from`` not after today."""

    __tablename__ = "price_cap"

    id: int | None = Field(default=None, primary_key=True)
    authorization_id: int = Field(foreign_key="operation_authorization.id", index=True, ondelete="CASCADE")
    price_model: str = Field(max_length=20)  # the charging unit, as the price model it caps
    amount: Decimal = Field(max_digits=14, decimal_places=4)  # yuan per the model's base unit
    effective_from: dt.date
    document: str = Field(default="", max_length=200)  # the pricing decision's reference
    created_at: dt.datetime = Field(default_factory=utcnow)


class PriceChange(SQLModel, table=True):
    """A product's published fee from a date: every change is kept (明码标价)."""

    __tablename__ = "price_change"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="data_product.id", index=True, ondelete="CASCADE")
    use_category: str = Field(max_length=20)
    price_model: str = Field(max_length=20)
    price: Decimal | None = Field(default=None, max_digits=14, decimal_places=4)
    price_unit: str = Field(default="", max_length=20)
    trial: bool = Field(default=False)  # a trial fee (试行收费标准), until a year of operation
    effective_from: dt.date
    version: str = Field(default="", max_length=20)
    recorded_at: dt.datetime = Field(default_factory=utcnow)


class CapCreate(SQLModel):
    """A cap as an administrator or the seed sets it."""

    authorization: str | None = Field(default=None, max_length=40)  # its code (the seed names it)
    price_model: PriceModel
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    effective_from: dt.date
    document: str = Field(default="", max_length=200)


class CapPublic(SQLModel):
    authorization: str  # its code
    price_model: str
    amount: float
    unit: str  # the base unit the amount is per
    effective_from: dt.date
    document: str


class PriceEntry(SQLModel):
    use_category: str
    price_model: str
    price: float | None
    price_unit: str
    trial: bool
    effective_from: dt.date
    version: str
