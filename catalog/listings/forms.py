"""Form plumbing shared by the owner's product and dataset forms: field specifications, the choices
they offer, and the mapping between submitted values and the validated input models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from catalog import i18n
from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset
from catalog.errors import CatalogError, Invalid
from catalog.licences.models import Licence
from catalog.listings.states import listed_sql
from catalog.permissions import Actor, listing_organizations
from catalog.sectors.models import Sector
from catalog.vocabularies import LABELS
from catalog.web import actor_for, call, render


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | textarea | select | multi | checkbox | number | lines | fields
    required: bool = True
    hint: str = ""
    choices: str = ""  # a vocabulary of vocabularies.LABELS, or sectors / licences / datasets / providers
    maxlength: int | None = None


def choices(session: Session, actor: Actor, language: str) -> dict[str, list[tuple[str, str]]]:
    """The options of every choice field, as (value, label) in ``language``."""

    def pick(zh: str, en: str) -> str:
        return en if language == "en" and en else zh

    managed = listing_organizations(actor)  # None: every organization
    query = select(Organization).order_by(col(Organization.name))
    if managed is not None:
        query = query.where(col(Organization.id).in_(managed))
    owned = session.exec(query).all()
    out: dict[str, list[tuple[str, str]]] = {
        "providers": [(o.slug, pick(o.name, o.name_en)) for o in owned],
        "sectors": [
            (s.slug, pick(s.name, s.name_en)) for s in session.exec(select(Sector).order_by(col(Sector.id)))
        ],
        "licences": [
            (lc.code, pick(lc.name, lc.name_en))
            for lc in session.exec(select(Licence).order_by(col(Licence.id)))
        ],
        "datasets": [
            (d.code, f"{d.code} {pick(d.title, d.title_en)}")
            for d in session.exec(select(Dataset).where(listed_sql(Dataset)).order_by(col(Dataset.code)))
        ],
    }
    for vocabulary, values in LABELS.items():
        out[vocabulary] = [(v, pick(zh, en)) for v, (zh, en) in values.items() if v != "core"]
    return out


class Form:
    """A form's sections of fields, and the mapping between what it submits and the model's input."""

    def __init__(self, sections: list[tuple[str, list[FormField]]]) -> None:
        self.sections = sections
        self.fields = {f.name: f for _, fields in sections for f in fields}

    def to_input(self, form: dict[str, list[str]]) -> dict[str, Any]:
        """Submitted form values as model input (empty fields left out, so they count as missing)."""
        data: dict[str, Any] = {}
        for name, spec in self.fields.items():
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

    def to_form(self, data: dict[str, Any]) -> dict[str, Any]:
        """Model input (or submitted values) as the form shows them."""
        values: dict[str, Any] = {}
        for name, spec in self.fields.items():
            value = data.get(name)
            if spec.kind == "lines":
                values[name] = "\n".join(value or [])
            elif spec.kind == "fields":
                values[name] = "\n".join(_field_line(f) for f in value or [])
            elif spec.kind == "multi":
                values[name] = list(value or [])
            elif spec.kind == "checkbox":
                values[name] = bool(value)
            else:
                values[name] = "" if value is None else str(value)
        return values


_FIELD_PARTS = ("name", "type", "description", "unit")  # a schema field's line: name | type | …


def _field_spec(line: str) -> dict[str, str]:
    parts = [p.strip() for p in line.split("|")]
    spec = dict(zip(_FIELD_PARTS, parts, strict=False))
    return {k: v for k, v in spec.items() if v}


def _field_line(spec: dict[str, Any]) -> str:
    return " | ".join(str(spec.get(k) or "") for k in _FIELD_PARTS).rstrip(" |")


async def page(
    request: Request,
    kind: str,
    form: Form,
    values: dict[str, Any],
    key: str | None,
    error: CatalogError | None = None,
    own_fields: tuple[str, ...] = (),
    **context: Any,
) -> Response:
    """The owner's product or dataset form, with the choices, the owner's one organization chosen,
    and the errors on their fields (``own_fields``: the page's extra fields) or above the form."""
    actor = actor_for(request)
    language, _ = i18n.requested_language(request, request.app.state.settings.default_language)
    options = await call(request, choices, actor, language)
    if not values.get("provider") and len(options["providers"]) == 1:
        values = {**values, "provider": options["providers"][0][0]}  # the owner's one organization
    fields = error.fields if isinstance(error, Invalid) else {}
    errors = {name.split(".")[0]: message for name, message in reversed(list(fields.items()))}
    known = set(form.fields) | set(own_fields)
    key_name = "slug" if kind == "product" else "code"  # owner.products.edit and owner.datasets.edit
    action = (
        request.app.url_path_for(f"owner.{kind}s.edit", **{key_name: key})
        if key
        else request.app.url_path_for(f"owner.{kind}s.new")
    )
    page_context = {
        "sections": form.sections,
        "values": values,
        "choices": options,
        "errors": {k: v for k, v in errors.items() if k in known},
        "message": error.message if error else None,
        "general": [v for k, v in errors.items() if k not in known],
        "slug": key,
        "kind": kind,
        "form_action": str(action),
        "versioning": False,
        "quality": None,
        **context,
    }
    return render(request, "products/form.html", page_context, status=error.status if error else 200)
