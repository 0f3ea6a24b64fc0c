"""The product form of the owner workspace: its fields (every field of the listing manual), the
choices they offer, and the mapping between submitted form values and ``ProductCreate`` input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset
from catalog.i18n import N_
from catalog.licences.models import Licence
from catalog.listings.states import ListingStatus
from catalog.permissions import Actor
from catalog.sectors.models import Sector
from catalog.vocabularies import LABELS


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | textarea | select | multi | checkbox | number | lines | fields
    required: bool = True
    hint: str = ""
    choices: str = ""  # a vocabulary of vocabularies.LABELS, or sectors / licences / datasets / providers
    maxlength: int | None = None


SECTIONS: list[tuple[str, list[FormField]]] = [
    (
        N_("What it is"),
        [
            FormField("provider", N_("Organization"), "select", choices="providers"),
            FormField(
                "slug",
                N_("Address"),
                maxlength=120,
                hint=N_("Lower-case letters, digits and hyphens, as in /products/<address>; it stays."),
            ),
            FormField("title", N_("Title"), maxlength=200),
            FormField("title_en", N_("English title"), maxlength=300),
            FormField(
                "summary",
                N_("Summary"),
                "textarea",
                maxlength=500,
                hint=N_("One or two sentences shown in lists."),
            ),
            FormField("summary_en", N_("English summary"), "textarea", required=False, maxlength=800),
            FormField(
                "description",
                N_("Description"),
                "textarea",
                maxlength=20000,
                hint=N_("What the data is, where it comes from, how it is processed and how to use it."),
            ),
            FormField(
                "description_en", N_("English description"), "textarea", required=False, maxlength=20000
            ),
            FormField("sectors", N_("Sectors"), "multi", choices="sectors"),
            FormField("tags", N_("Tags"), "lines", required=False, hint=N_("One per line.")),
            FormField(
                "scenarios", N_("Application scenarios"), "lines", required=False, hint=N_("One per line.")
            ),
        ],
    ),
    (
        N_("Source and security"),
        [
            FormField(
                "source_datasets",
                N_("Source datasets"),
                "multi",
                choices="datasets",
                hint=N_("From the authorized-operation catalog."),
            ),
            FormField("source_type", N_("Source type"), "select", choices="source_type"),
            FormField(
                "security_grade",
                N_("Security grade"),
                "select",
                choices="security_grade",
                hint=N_("Core data cannot be listed."),
            ),
            FormField("personal_info", N_("Contains personal information"), "checkbox", required=False),
            FormField(
                "deidentification",
                N_("De-identification statement"),
                "textarea",
                required=False,
                maxlength=5000,
                hint=N_("Required when the product contains personal information."),
            ),
        ],
    ),
    (
        N_("Product and delivery"),
        [
            FormField("product_type", N_("Product type"), "select", choices="product_type"),
            FormField("delivery_mode", N_("Delivery mode"), "select", choices="delivery_mode"),
            FormField("update_frequency", N_("Update frequency"), "select", choices="update_frequency"),
            FormField(
                "schema",
                N_("Field schema"),
                "fields",
                required=False,
                hint=N_("One field per line: name | type | description | unit"),
            ),
            FormField(
                "input_fields",
                N_("API input fields"),
                "fields",
                required=False,
                hint=N_("For API products, one per line: name | type | description | unit"),
            ),
            FormField(
                "output_fields",
                N_("API output fields"),
                "fields",
                required=False,
                hint=N_("For API products, one per line: name | type | description | unit"),
            ),
        ],
    ),
    (
        N_("Terms and price"),
        [
            FormField("license", N_("Licence"), "select", choices="licences"),
            FormField("extra_terms", N_("Extra terms"), "textarea", required=False, maxlength=5000),
            FormField("permitted_purpose", N_("Permitted purpose"), "textarea", maxlength=2000),
            FormField("usage_term_months", N_("Usage term (months)"), "number"),
            FormField(
                "other_restrictions", N_("Other restrictions"), "textarea", required=False, maxlength=2000
            ),
            FormField("price_model", N_("Price model"), "select", choices="price_model"),
            FormField(
                "price",
                N_("Price (yuan)"),
                "text",
                required=False,
                maxlength=20,
                hint=N_("Required for per-call, subscription and per-delivery prices."),
            ),
            FormField(
                "price_unit",
                N_("Price unit"),
                "text",
                required=False,
                maxlength=20,
                hint=N_("e.g. 次 (per call), 年 (per year), 份 (per delivery)"),
            ),
        ],
    ),
]
FIELDS = {f.name: f for _, fields in SECTIONS for f in fields}


def choices(session: Session, actor: Actor, language: str) -> dict[str, list[tuple[str, str]]]:
    """The options of every choice field, as (value, label) in ``language``."""

    def pick(zh: str, en: str) -> str:
        return en if language == "en" and en else zh

    owned = (
        session.exec(
            select(Organization).where(col(Organization.id).in_(actor.owner_of)).order_by(Organization.name)
        ).all()
        if not actor.is_admin
        else session.exec(select(Organization).order_by(Organization.name)).all()
    )
    out: dict[str, list[tuple[str, str]]] = {
        "providers": [(o.slug, pick(o.name, o.name_en)) for o in owned],
        "sectors": [
            (s.slug, pick(s.name, s.name_en)) for s in session.exec(select(Sector).order_by(Sector.id))
        ],
        "licences": [
            (lc.code, pick(lc.name, lc.name_en)) for lc in session.exec(select(Licence).order_by(Licence.id))
        ],
        "datasets": [
            (d.code, f"{d.code} {pick(d.title, d.title_en)}")
            for d in session.exec(
                select(Dataset).where(Dataset.status == ListingStatus.LISTED).order_by(Dataset.code)
            )
        ],
    }
    for vocabulary, values in LABELS.items():
        out[vocabulary] = [(v, pick(zh, en)) for v, (zh, en) in values.items() if v != "core"]
    return out


def to_input(form: dict[str, list[str]]) -> dict[str, Any]:
    """Submitted form values as ``ProductCreate`` input (empty fields left out, so they count as missing)."""
    data: dict[str, Any] = {}
    for name, spec in FIELDS.items():
        values = [v.strip() for v in form.get(name, []) if v.strip()]
        if spec.kind == "checkbox":
            data[name] = bool(values)
        elif spec.kind == "multi":
            if values:
                data[name] = values
        elif spec.kind == "lines":
            data[name] = [line.strip() for v in values for line in v.splitlines() if line.strip()]
        elif spec.kind == "fields":
            data[name] = [_field_spec(line) for v in values for line in v.splitlines() if line.strip()]
        elif values:
            data[name] = values[0]
    return data


def _field_spec(line: str) -> dict[str, str]:
    parts = [p.strip() for p in line.split("|")]
    spec = dict(zip(("name", "type", "description", "unit"), parts, strict=False))
    return {k: v for k, v in spec.items() if v}


def to_form(data: dict[str, Any]) -> dict[str, Any]:
    """``ProductCreate`` input (or submitted values) as the form shows them."""
    values: dict[str, Any] = {}
    for name, spec in FIELDS.items():
        value = data.get(name)
        if spec.kind == "lines":
            values[name] = "\n".join(value or [])
        elif spec.kind == "fields":
            values[name] = "\n".join(
                " | ".join(str(f.get(k) or "") for k in ("name", "type", "description", "unit")).rstrip(" |")
                for f in value or []
            )
        elif spec.kind == "multi":
            values[name] = list(value or [])
        elif spec.kind == "checkbox":
            values[name] = bool(value)
        else:
            values[name] = "" if value is None else str(value)
    return values
