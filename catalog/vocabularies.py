"""Controlled vocabularies shared by datasets and products, with their Chinese and English labels."""

from __future__ import annotations

from enum import StrEnum


class SecurityGrade(StrEnum):
    GENERAL = "general"
    IMPORTANT = "important"
    CORE = "core"  # core data is never listed


class SharingCondition(StrEnum):
    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


class UpdateFrequency(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


class ProductType(StrEnum):
    DATASET = "dataset"
    API = "api"
    REPORT = "report"
    MODEL = "model"
    SANDBOX = "sandbox"


class DeliveryMode(StrEnum):
    API = "api"
    FILE = "file"
    SANDBOX = "sandbox"
    PLATFORM = "platform"
    OFFLINE = "offline"


class SourceType(StrEnum):
    SELF_PRODUCED = "self_produced"
    PUBLIC = "public"
    AUTHORIZED = "authorized"
    PURCHASED = "purchased"


class PriceModel(StrEnum):
    FREE = "free"
    PER_CALL = "per_call"
    SUBSCRIPTION = "subscription"
    ONE_TIME = "one_time"
    PER_VOLUME = "per_volume"  # by data volume (按数据量)
    NEGOTIATED = "negotiated"


# The price models that carry a price (above 0, with its unit); free and negotiated carry none.
PRICED_MODELS = frozenset(
    {PriceModel.PER_CALL, PriceModel.SUBSCRIPTION, PriceModel.ONE_TIME, PriceModel.PER_VOLUME}
)


def carries_price(price_model: str) -> bool:
    """Whether a product of this price model states a price."""
    return price_model in PRICED_MODELS


class UseCategory(StrEnum):
    """What a product is used for, as the national pricing rules for public data tell them apart:
    public governance and public welfare use is free; industry use is priced at or under a cap."""

    PUBLIC_GOVERNANCE = "public_governance"
    PUBLIC_WELFARE = "public_welfare"
    INDUSTRY = "industry"


class OrganizationKind(StrEnum):
    DEPARTMENT = "department"
    OPERATOR = "operator"
    ENTERPRISE = "enterprise"


class LicenceKind(StrEnum):
    OPEN = "open"
    CONDITIONAL = "conditional"
    COMMERCIAL = "commercial"


class QualityRating(StrEnum):
    A = "A"
    B = "B"
    C = "C"


LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "security_grade": {
        "general": ("一般数据", "General"),
        "important": ("重要数据", "Important"),
        "core": ("核心数据", "Core"),
    },
    "sharing_condition": {
        "unconditional": ("无条件共享", "Unconditional"),
        "conditional": ("有条件共享", "Conditional"),
        "none": ("不予共享", "Not shared"),
    },
    "update_frequency": {
        "realtime": ("实时", "Real time"),
        "daily": ("每日", "Daily"),
        "weekly": ("每周", "Weekly"),
        "monthly": ("每月", "Monthly"),
        "quarterly": ("每季度", "Quarterly"),
        "yearly": ("每年", "Yearly"),
        "irregular": ("不定期", "Irregular"),
    },
    "product_type": {
        "dataset": ("数据集", "Dataset"),
        "api": ("数据接口", "API"),
        "report": ("数据报告", "Report"),
        "model": ("模型算法", "Model"),
        "sandbox": ("数据沙箱", "Sandbox"),
    },
    "delivery_mode": {
        "api": ("接口调用", "API"),
        "file": ("文件交付", "File"),
        "sandbox": ("隐私计算/沙箱", "Privacy sandbox"),
        "platform": ("在线平台", "Online platform"),
        "offline": ("线下交付", "Offline hand-over"),
    },
    "source_type": {
        "self_produced": ("自产", "Self-produced"),
        "public": ("公开获取", "Publicly obtained"),
        "authorized": ("授权运营", "Authorized operation"),
        "purchased": ("交易所得", "Acquired by trade"),
    },
    "price_model": {
        "free": ("免费", "Free"),
        "per_call": ("按次计费", "Per call"),
        "subscription": ("包年订阅", "Subscription"),
        "one_time": ("按份计费", "Per delivery"),
        "per_volume": ("按数据量计费", "Per data volume"),
        "negotiated": ("协商定价", "Negotiated"),
    },
    "use_category": {
        "public_governance": ("公共治理", "Public governance"),
        "public_welfare": ("公益事业", "Public welfare"),
        "industry": ("产业发展", "Industry development"),
    },
    "organization_kind": {
        "department": ("政府部门", "Government department"),
        "operator": ("授权运营单位", "Authorized operator"),
        "enterprise": ("企业", "Enterprise"),
    },
    "authorization_status": {
        "active": ("有效", "Active"),
        "suspended": ("已暂停", "Suspended"),
        "expired": ("已到期", "Expired"),
        "revoked": ("已撤销", "Revoked"),
    },
    "registration_status": {
        "valid": ("有效", "Valid"),
        "expiring": ("即将到期", "Renewal open"),
        "expired": ("已过期", "Expired"),
        "cancelled": ("已注销", "Cancelled"),
    },
    "registration_act": {
        "first": ("首次登记", "First registration"),
        "change": ("变更登记", "Change"),
        "correction": ("更正登记", "Correction"),
        "cancellation": ("注销登记", "Cancellation"),
        "renewal": ("续期", "Renewal"),
    },
    "licence_kind": {
        "open": ("开放许可", "Open"),
        "conditional": ("有条件许可", "Conditional"),
        "commercial": ("商业许可", "Commercial"),
    },
    "status": {
        "draft": ("草稿", "Draft"),
        "submitted": ("已提交", "Submitted"),
        "in_review": ("审核中", "In review"),
        "changes_requested": ("待修改", "Changes requested"),
        "rejected": ("未通过", "Rejected"),
        "publicity": ("公示中", "In publicity"),
        "listed": ("已挂牌", "Listed"),
        "delisted": ("已摘牌", "Delisted"),
    },
}


def label(vocabulary: str, value: str | None, language: str = "zh") -> str:
    """The display label of ``value`` in ``vocabulary``; unknown values show as themselves."""
    if value is None:
        return ""
    pair = LABELS.get(vocabulary, {}).get(str(value))
    if pair is None:
        return str(value)
    return pair[1] if language == "en" else pair[0]
