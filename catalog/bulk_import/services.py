"""Bulk import of products or datasets from a file with the export's columns (``catalog import``, the
administrators' upload page): every row is validated first — its fields, what it names, its key —
then every item is created in the caller's transaction, or none is; the report names each bad row
by its line in the file."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from catalog.accounts.queries import slugs_codes_suspended
from catalog.audit import services as audit
from catalog.bulk_import.files import Row, Table, Unreadable, as_text, cell_value, is_empty, read_file
from catalog.datasets import queries as dataset_queries
from catalog.datasets.models import DatasetCreate
from catalog.datasets.services import import_dataset
from catalog.errors import Invalid
from catalog.i18n import N_
from catalog.licences.queries import licence_codes
from catalog.permissions import Actor, can_import_catalog, require, require_write
from catalog.products import queries as product_queries
from catalog.products.models import ProductCreate
from catalog.products.services import import_product
from catalog.registrations.services import register_imported
from catalog.sectors.queries import sector_slugs
from catalog.stats.exports import DATASET_COLUMNS, PRODUCT_COLUMNS
from catalog.validation import FIELD_MESSAGES, holds_nul

IMPORT_KINDS = ("products", "datasets")
LISTING_NO = re.compile(r"^HADP-\d{4}-\d{4,}$")


@dataclass(frozen=True)
class Kind:
    """What a file of one kind holds: its model, its columns and the column naming each item."""

    name: str
    model: type[SQLModel]
    columns: frozenset[str]
    keys: tuple[str, ...]  # the columns that may give the key (the first is the export's)
    ignored: frozenset[str]  # the export's columns that are read for people, not imported


PRODUCTS = Kind(
    "products",
    ProductCreate,
    frozenset(PRODUCT_COLUMNS) | {"slug"},
    ("id", "slug"),
    frozenset({"updated_at"}),
)
DATASETS = Kind("datasets", DatasetCreate, frozenset(DATASET_COLUMNS), ("code",), frozenset({"updated_at"}))
# Columns read by the import itself rather than by the model.
OWN_COLUMNS = frozenset({"provider_code", "listing_no", "version"})


class ImportProblem(BaseModel):
    """One thing wrong: the line of the file (None: the file as a whole), the column, a message."""

    line: int | None
    column: str = ""
    message: str
    params: dict[str, str] = {}

    def text(self, gettext: Callable[[str], str] = str) -> str:
        """The message, translated by ``gettext``, with its values filled in."""
        message = gettext(self.message)
        return message % self.params if self.params else message


class ImportReport(BaseModel):
    """What an import read, and what it created (nothing when any row has a problem)."""

    file: str
    kind: str | None = None
    rows: int = 0
    imported: int = 0
    dry_run: bool = False
    problems: list[ImportProblem] = []
    keys: list[str] = []  # the slugs or codes of the items read
    header_line: int | None = None  # of a spreadsheet; its problems are the file's, not a row's

    @property
    def bad_rows(self) -> int:
        """How many rows have a problem (the file's and its header's own problems aside)."""
        return len({p.line for p in self.problems if p.line is not None and p.line != self.header_line})


@dataclass
class _Item:
    row: Row
    data: Any  # ProductCreate or DatasetCreate
    listing_no: str | None = None
    version: str | None = None


def import_file(
    session: Session,
    actor: Actor,
    name: str,
    content: bytes,
    kind: str | None = None,
    *,
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row of an import file, then create all its items or, if any row has a problem,
    none; ``kind`` (products or datasets) is inferred from the columns when not given. Administrators
    only (it writes any state, as the seed does)."""
    require(can_import_catalog(actor), actor, "only administrators import the catalog")
    require_write(actor)
    report = ImportReport(file=name, kind=kind, dry_run=dry_run)
    try:
        table = read_file(name, content, who=f"user:{actor.user_id}")
    except Unreadable as exc:
        report.problems.append(ImportProblem(line=exc.line, message=exc.message, params=exc.params))
        return report
    spec = _kind(table, kind, report)
    if spec is None:
        return report
    report.kind, report.rows, report.header_line = spec.name, len(table.rows), table.header_line
    report.problems += _column_problems(spec, table)
    if not table.rows:
        report.problems.append(ImportProblem(line=None, message=N_("The file holds no rows to import.")))
    if report.problems:
        return report
    items = _Checker(session, spec, report).check(table.rows)
    report.keys = [_key(item.data) for item in items]
    if report.problems or dry_run:
        return report
    _write(session, actor, spec, items)
    report.imported = len(items)
    audit.record(
        session,
        actor,
        "catalog.import",
        "catalog",
        spec.name,
        f"imported {len(items)} {spec.name} from {name}",
        after={"file": name, "kind": spec.name, "count": len(items), "keys": report.keys},
    )
    return report


def _kind(table: Table, kind: str | None, report: ImportReport) -> Kind | None:
    columns = set(table.columns)
    if kind is None:
        product, dataset = bool(columns & set(PRODUCTS.keys)), "code" in columns
        kind = "products" if product and not dataset else "datasets" if dataset and not product else None
    if kind == "products":
        return PRODUCTS
    if kind == "datasets":
        return DATASETS
    report.problems.append(
        ImportProblem(
            line=table.header_line,
            message=N_(
                "The columns do not tell whether the file holds products or datasets: choose the kind."
            ),
        )
    )
    return None


def _column_problems(spec: Kind, table: Table) -> list[ImportProblem]:
    """Unknown, repeated and missing columns: once at the header of a spreadsheet, per object in JSON."""
    problems = []
    if table.header_line is None:
        for row in table.rows:
            problems += [_unknown(row.line, c) for c in row.values if c not in spec.columns]
        return problems
    seen: set[str] = set()
    for column in table.columns:
        if column not in spec.columns:
            problems.append(_unknown(table.header_line, column))
        elif column in seen:
            message = N_("This column appears twice in the header.")
            problems.append(ImportProblem(line=table.header_line, column=column, message=message))
        seen.add(column)
    if len(seen & set(spec.keys)) > 1:
        message = N_("Give the identifier in one column only: %(columns)s.")
        params = {"columns": ", ".join(spec.keys)}
        problems.append(ImportProblem(line=table.header_line, column="", message=message, params=params))
    for column in _required_columns(spec):
        if not seen & set(column.split("|")):
            message = N_("This column is required and missing from the header.")
            problems.append(
                ImportProblem(line=table.header_line, column=column.split("|")[0], message=message)
            )
    return problems


def _unknown(line: int, column: str) -> ImportProblem:
    if not column:
        return ImportProblem(line=line, message=N_("Each item must be an object."))
    message = N_("Unknown column: the columns are those of the export.")
    return ImportProblem(line=line, column=column, message=message)


def _required_columns(spec: Kind) -> list[str]:
    """The model's required fields as columns (alternatives joined by "|")."""
    names = []
    for name, info in spec.model.model_fields.items():
        if not info.is_required():
            continue
        column = info.alias or name
        if column == "provider":
            column = "provider|provider_code"
        elif column in ("slug", "code"):
            column = "|".join(spec.keys)
        names.append(column)
    return names


def _key(data: Any) -> str:
    return data.slug if isinstance(data, ProductCreate) else data.code


class _Checker:
    """Checks rows against the model and the catalog, adding each problem to the report."""

    def __init__(self, session: Session, spec: Kind, report: ImportReport) -> None:
        self.session, self.spec, self.report = session, spec, report
        orgs = slugs_codes_suspended(session)
        self.org_slugs = {slug for slug, _, _ in orgs}
        self.org_by_code = {code: slug for slug, code, _ in orgs if code}
        self.suspended = {slug for slug, _, suspended in orgs if suspended}
        self.sectors = sector_slugs(session)
        if spec is PRODUCTS:
            self.licences = set(licence_codes(session).values())
            self.datasets = dataset_queries.dataset_codes(session)

    def problem(self, row: Row, column: str, message: str, **params: Any) -> None:
        params = {k: str(v) for k, v in params.items()}
        self.report.problems.append(
            ImportProblem(line=row.line, column=column, message=message, params=params)
        )

    def check(self, rows: list[Row]) -> list[_Item]:
        items = [item for item in (self.check_row(row) for row in rows) if item is not None]
        self.check_unique(items, "key", lambda i: _key(i.data), self._existing_keys)
        if self.spec is PRODUCTS:
            self.check_unique(items, "listing_no", lambda i: i.listing_no, self._existing_listing_nos)
        return items

    def check_row(self, row: Row) -> _Item | None:
        before = len(self.report.problems)
        for column, raw in row.values.items():
            if holds_nul(raw):  # PostgreSQL can neither store nor compare it: nothing else is checked
                self.problem(row, column, N_("This cell holds the NUL character (U+0000): remove it."))
        if len(self.report.problems) > before:
            return None
        if row.stray:
            self.problem(row, "", N_("This row has a value in a column without a name in the header."))
        if len(row.values.keys() & set(self.spec.keys)) > 1:  # a JSON object; a header is checked before
            self.problem(
                row,
                "",
                N_("Give the identifier in one column only: %(columns)s."),
                columns=", ".join(self.spec.keys),
            )
        values, failed = self.convert(row)
        self.resolve_provider(row, values, failed)
        data = self.validate(row, values, failed)
        if data is None:
            return None
        self.check_references(row, data)
        item = _Item(row, data, self.own_value(row, "listing_no"), self.own_value(row, "version"))
        if item.listing_no and not LISTING_NO.match(item.listing_no):
            self.problem(row, "listing_no", N_("A listing number looks like HADP-2025-0001."))
        if item.version and len(item.version) > 20:
            self.problem(row, "version", N_("This is too long."))
        return item if len(self.report.problems) == before else None

    def own_value(self, row: Row, column: str) -> str | None:
        value = as_text(row.values.get(column))
        return value if self.spec is PRODUCTS and value else None

    def convert(self, row: Row) -> tuple[dict[str, Any], set[str]]:
        """The row as the model's input; the columns that could not be converted are reported."""
        values: dict[str, Any] = {}
        failed: set[str] = set()
        for column, raw in row.values.items():
            if column in self.spec.ignored or column in OWN_COLUMNS or is_empty(raw):
                continue
            try:
                value = cell_value(column, raw)
            except ValueError as exc:
                self.problem(row, column, str(exc.args[0]), **(exc.args[1] if len(exc.args) > 1 else {}))
                failed.add(column)
                continue
            values["slug" if column == "id" else column] = value
        return values, failed

    def resolve_provider(self, row: Row, values: dict[str, Any], failed: set[str]) -> None:
        """The provider by its slug or by its credit code, whichever the row gives (both must agree)."""
        slug, code = values.get("provider"), as_text(row.values.get("provider_code"))
        if slug is not None and not isinstance(slug, str):
            self.problem(row, "provider", N_("Give the organization's slug as text."))
            failed.add("provider")
            slug = None
        if slug and slug not in self.org_slugs:
            self.problem(row, "provider", N_("No organization has the slug %(value)s."), value=slug)
            failed.add("provider")
        if code:
            found = self.org_by_code.get(code)
            if found is None:
                message = N_("No organization has the unified social credit code %(value)s.")
                self.problem(row, "provider_code", message, value=code)
                failed.add("provider")
            elif slug and found != slug and "provider" not in failed:
                message = N_("This credit code belongs to the organization %(found)s, not to %(slug)s.")
                self.problem(row, "provider_code", message, found=found, slug=slug)
                failed.add("provider")
            elif not slug:
                values["provider"] = found
        elif not slug:
            message = N_(
                "Give the provider's slug (provider) or its unified social credit code (provider_code)."
            )
            self.problem(row, "provider", message)
            failed.add("provider")
        provider = values.get("provider")
        if "provider" not in failed and isinstance(provider, str) and provider in self.suspended:
            message = N_("The organization %(value)s is suspended: reinstate it before importing its items.")
            self.problem(row, "provider", message, value=provider)
            failed.add("provider")

    def validate(self, row: Row, values: dict[str, Any], failed: set[str]) -> Any:
        try:
            return self.spec.model.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column = self.column(row, error["loc"])
                if column.split("[")[0] in failed:
                    continue  # reported already, as the value could not be read
                message = FIELD_MESSAGES.get(error["type"], error["msg"].removeprefix("Value error, "))
                self.problem(row, column, message)
            return None

    def column(self, row: Row, loc: tuple[int | str, ...]) -> str:
        """The column a pydantic error location names: ``schema[2].description``."""
        if not loc:
            return ""
        head = str(loc[0])
        if head in ("slug", "code"):
            head = next((k for k in self.spec.keys if k in row.values), self.spec.keys[0])
        rest = "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
        return head + rest

    def check_references(self, row: Row, data: Any) -> None:
        unknown = sorted(set(data.sectors) - self.sectors)
        if unknown:
            self.problem(row, "sectors", N_("Unknown sectors: %(values)s."), values=", ".join(unknown))
        if self.spec is not PRODUCTS:
            return
        if data.licence not in self.licences:
            self.problem(row, "license", N_("No licence has the code %(value)s."), value=data.licence)
        unknown = sorted(set(data.source_datasets) - self.datasets)
        if unknown:
            message = N_("Unknown source datasets: %(values)s.")
            self.problem(row, "source_datasets", message, values=", ".join(unknown))

    def check_unique(
        self,
        items: list[_Item],
        what: str,
        value_of: Callable[[_Item], str | None],
        existing: Callable[[list[str]], set[str]],
    ) -> None:
        """Each value once in the file and not yet in the catalog."""
        first: dict[str, int] = {}
        taken = existing([v for v in map(value_of, items) if v])
        for item in items:
            value = value_of(item)
            if not value:
                continue
            column = self.column(item.row, ("slug",)) if what == "key" else what
            if value in taken:
                message = {
                    "listing_no": N_("The catalog already has a product with the listing number %(value)s."),
                    "products": N_("The catalog already has a product %(value)s."),
                    "datasets": N_("The catalog already has a dataset %(value)s."),
                }[self.spec.name if what == "key" else what]
                self.problem(item.row, column, message, value=value)
            elif value in first:
                message = N_("%(value)s is also on line %(other)s: each item once.")
                self.problem(item.row, column, message, value=value, other=first[value])
            else:
                first[value] = item.row.line

    def _existing_keys(self, keys: list[str]) -> set[str]:
        if self.spec is PRODUCTS:
            return product_queries.taken_slugs(self.session, keys)
        return dataset_queries.dataset_codes(self.session, keys)

    def _existing_listing_nos(self, numbers: list[str]) -> set[str]:
        return product_queries.taken_listing_nos(self.session, numbers)


# --- writing --------------------------------------------------------------------------------------
CHANGED_MEANWHILE = N_("The catalog changed while the file was imported: nothing was imported. Try again.")


def _write(session: Session, actor: Actor, spec: Kind, items: list[_Item]) -> None:
    """Create every item through the import services. An item created by someone else since the
    check (the service then leaves it alone) or a listing number taken meanwhile undoes them all."""
    try:
        for item in _in_order(items) if spec is PRODUCTS else items:
            if spec is PRODUCTS:  # keeping the number and version the file gives: an export round-trips
                created = import_product(
                    session, actor, item.data, listing_no=item.listing_no, version=item.version
                )
            else:
                created = import_dataset(session, actor, item.data)
            if not created:
                raise Invalid(CHANGED_MEANWHILE)
            # a listed item was registered when it was listed (26号): its code and validity from then
            register_imported(session, actor, "product" if spec is PRODUCTS else "dataset", item.data)
    except IntegrityError:
        raise Invalid(CHANGED_MEANWHILE) from None


def _in_order(items: list[_Item]) -> list[_Item]:
    """Products keeping their listing numbers first, so that a number given to another never takes
    one the file holds; the others by listing date, as the seed numbers them."""
    numbered = [i for i in items if i.listing_no]
    others = [i for i in items if not i.listing_no]
    others.sort(key=lambda i: getattr(i.data, "listed_at", None) or dt.date.max)
    return [*numbered, *others]
