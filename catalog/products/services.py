"""Data product use cases: import, list with filters and facets, show, and search documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog import db
from catalog.accounts.models import Organization
from catalog.accounts.services import organization_refs
from catalog.audit import services as audit
from catalog.authorizations.queries import standings
from catalog.datasets.models import Dataset, SourceRef
from catalog.datasets.services import source_ref
from catalog.errors import Forbidden, Invalid, NotFound
from catalog.i18n import N_
from catalog.licences.models import Licence
from catalog.licences.services import licence_public, licence_ref
from catalog.listings import quality, search, states
from catalog.listings.filters import ProductFilters
from catalog.listings.inputs import provider_and_sectors
from catalog.listings.quality import QualityReport
from catalog.listings.states import REVIEWED_STATES, ListingStatus, is_listed, listed_sql
from catalog.listings.urls import product_url
from catalog.listings.workflow import RevisionStatus
from catalog.models_base import saved_id, utcnow
from catalog.pagination import Page
from catalog.permissions import (
    Actor,
    can_import_catalog,
    can_manage_listings_of,
    can_view_listing,
    require,
    require_write,
)
from catalog.pricing.caps import cap_for, cap_public, caps_in_force, price_histories, record_price
from catalog.pricing.models import CapPublic
from catalog.products.models import (
    DataProduct,
    ProductCreate,
    ProductDetail,
    ProductRevision,
    ProductSector,
    ProductSource,
    ProductSummary,
    VersionEntry,
)
from catalog.registrations.queries import registrations_of
from catalog.registrations.states import MATERIALS
from catalog.requests.models import AccessRequest
from catalog.sectors.models import Sector
from catalog.sectors.queries import sector_refs_by_item, sector_slugs_by_item
from catalog.validation import parse
from catalog.vocabularies import UseCategory
from search_index import SearchResult


# --- writing --------------------------------------------------------------------------------------
def import_product(
    session: Session,
    actor: Actor,
    data: ProductCreate,
    *,
    listing_no: str | None = None,
    version: str | None = None,
) -> bool:
    """Create a product in the state the data gives, unless its slug exists; True when created.

    This is the path of the seed and of ``catalog import``: it may write any state, so only
    administrators and the system may use it. A listed product is given the next listing number,
    unless it keeps the ``listing_no`` (and ``version``) an exported file gives it.
    """
    require(can_import_catalog(actor), actor, "only administrators may import products")
    if session.exec(select(DataProduct.id).where(DataProduct.slug == data.slug)).first():
        return False
    provider, licence, sectors, sources = resolve_input(session, data)
    product = DataProduct(**product_values(data, saved_id(provider), saved_id(licence)))
    listed_at = product.listed_at
    if listing_no:
        product.listing_no = listing_no
    elif data.status in REVIEWED_STATES and listed_at is not None:
        product.listing_no = next_listing_no(session, listed_at.year)
    product.version = version or product.version
    save_links(session, product, sectors, sources)
    if data.status in REVIEWED_STATES and listed_at is not None:
        record_price(session, product, listed_at.date())  # the fee it was listed with
    return True


def price_of(values: dict[str, Any]) -> tuple[str, str, Decimal | None, str]:
    """A product input's (use, price model, price, unit), as the cap check takes them."""
    raw = values.get("price")
    try:
        amount = None if raw in (None, "") else Decimal(str(raw))
    except ArithmeticError:
        amount = None
    use = str(values.get("use_category") or UseCategory.INDUSTRY)
    return use, str(values.get("price_model") or ""), amount, str(values.get("price_unit") or "")


def resolve_input(
    session: Session, data: ProductCreate, actor: Actor | None = None
) -> tuple[Organization, Licence, list[Sector], list[Dataset]]:
    """The rows a product's input names; 422 naming each field that names something unknown. With an
    ``actor``, a source dataset it may not see counts as unknown (no draft of another organization
    is revealed, not even whether its code exists)."""
    provider, sectors, named = provider_and_sectors(session, data.provider, data.sectors)
    licence = session.exec(select(Licence).where(Licence.code == data.licence)).first()
    sources = list(session.exec(select(Dataset).where(col(Dataset.code).in_(data.source_datasets))))
    if actor is not None:
        sources = [
            d for d in sources if can_view_listing(actor, d.provider_id, reachable=states.is_reachable(d))
        ]
    problems = {"provider": named["provider"]} if "provider" in named else {}
    if licence is None:
        problems["license"] = f"no licence {data.licence!r}"
    if "sectors" in named:
        problems["sectors"] = named["sectors"]
    if len(sources) != len(set(data.source_datasets)):
        problems["source_datasets"] = f"unknown dataset in {data.source_datasets}"
    if problems or provider is None or licence is None:
        raise Invalid(f"product {data.slug} names what the catalog does not have", fields=problems)
    return provider, licence, sectors, sources


def save_links(session: Session, product: DataProduct, sectors: list[Sector], sources: list[Dataset]) -> None:
    """Write the product with exactly these sectors and source datasets."""
    session.add(product)
    session.flush()
    for model in (ProductSector, ProductSource):
        for row in session.exec(select(model).where(model.product_id == product.id)):
            session.delete(row)
    session.flush()
    session.add_all([ProductSector(product_id=saved_id(product), sector_id=saved_id(s)) for s in sectors])
    session.add_all([ProductSource(product_id=saved_id(product), dataset_id=saved_id(d)) for d in sources])
    session.flush()


FIXED = ("slug", "provider", "status", "listed_at")  # what an owner's edit never changes


def create_draft(
    session: Session, actor: Actor, data: ProductCreate, key: str | None = None
) -> tuple[ProductDetail, bool]:
    """A new draft of an organization the actor owns; with an idempotency ``key``, the same key
    gives back the same draft. The draft and whether it was created now."""
    require_write(actor)
    provider, licence, sectors, sources = resolve_input(session, data, actor)
    if not can_manage_listings_of(actor, saved_id(provider)):
        raise Forbidden(N_("Only owners of the organization list its products."))
    made = _made_with(session, saved_id(provider), key)
    if made is not None:
        return get_product(session, actor, made), False
    taken = Invalid(N_("Please correct the marked fields."), fields={"slug": N_("This address is taken.")})
    if session.exec(select(DataProduct.id).where(DataProduct.slug == data.slug)).first():
        raise taken
    values = product_values(data, saved_id(provider), saved_id(licence))
    product = DataProduct(**{**values, "status": ListingStatus.DRAFT, "listed_at": None}, creation_key=key)
    try:
        with session.begin_nested():  # a request sent twice at once, or two drafts of one address
            save_links(session, product, sectors, sources)
    except IntegrityError:
        made = _made_with(session, saved_id(provider), key)
        if made is None:
            raise taken from None
        return get_product(session, actor, made), False
    audit.record(
        session,
        actor,
        "product.create",
        "product",
        product.slug,
        f"draft {product.title}",
        after={"title": product.title, "provider": provider.slug},
    )
    return get_product(session, actor, product.slug), True


def _made_with(session: Session, provider_id: int, key: str | None) -> str | None:
    """The slug of the draft this provider made with idempotency ``key``, if any."""
    if not key:
        return None
    mine = (DataProduct.provider_id == provider_id) & (DataProduct.creation_key == key)
    return session.exec(select(DataProduct.slug).where(mine)).first()


def update_draft(session: Session, actor: Actor, slug: str, changes: dict[str, Any]) -> ProductDetail:
    """Change a product the owner is preparing (draft, changes requested, rejected): the whole input
    is validated again as it will be submitted."""
    require_write(actor)
    product = _editable_product(session, actor, slug)
    before = product_input(session, product)
    changes = {k: v for k, v in changes.items() if k not in FIXED}
    data = parse(ProductCreate, {**before, **changes})
    provider, licence, sectors, sources = resolve_input(session, data, actor)
    for name, value in product_values(data, saved_id(provider), saved_id(licence)).items():
        if name not in ("status", "listed_at", "slug", "provider_id"):
            setattr(product, name, value)
    product.updated_at = utcnow()
    save_links(session, product, sectors, sources)
    after = product_input(session, product)
    changed = sorted(k for k in after if after[k] != before.get(k))
    audit.record(
        session,
        actor,
        "product.edit",
        "product",
        slug,
        "changed " + ", ".join(changed),
        before={k: before.get(k) for k in changed},
        after={k: after[k] for k in changed},
    )
    return get_product(session, actor, slug)


def draft_input(session: Session, actor: Actor, slug: str) -> dict[str, Any]:
    """The input of a product its owner may edit now (for the edit form)."""
    return product_input(session, _editable_product(session, actor, slug))


def _editable_product(session: Session, actor: Actor, slug: str) -> DataProduct:
    """A product the actor's organization owns, in a state its owner edits."""
    product = _visible_product(session, actor, slug)
    if not can_manage_listings_of(actor, product.provider_id):
        raise Forbidden(N_("Only owners of the organization edit its products."))
    states.check_editable("product", product)
    return product


def product_input(session: Session, product: DataProduct) -> dict[str, Any]:
    """A product as the input that would create it (``ProductCreate``'s fields)."""
    provider = session.get(Organization, product.provider_id)
    licence = session.get(Licence, product.licence_id)
    sectors = sector_slugs_by_item(session, ProductSector.product_id, ProductSector.sector_id, [product.id])
    sources = session.exec(
        select(Dataset.code)
        .join(ProductSource, col(ProductSource.dataset_id) == col(Dataset.id))
        .where(ProductSource.product_id == product.id)
        .order_by(Dataset.code)
    ).all()
    return input_of(
        product,
        provider.slug if provider else "",
        licence.code if licence else "",
        sectors.get(saved_id(product), []),
        list(sources),
    )


def input_of(
    product: DataProduct, provider: str, licence: str, sectors: list[str], sources: list[str]
) -> dict[str, Any]:
    """``product_input`` of a product whose provider, licence, sectors and sources are known already
    (an import has them in its input): the same dict, without reading them again."""
    return _as_input(product, licence, sorted(set(sources))) | {
        "provider": provider,
        "sectors": sorted(set(sectors)),
    }


_INPUT_COLUMNS = (
    "title", "title_en", "summary", "summary_en", "description", "description_en", "tags", "scenarios",
    "product_type", "delivery_mode", "update_frequency", "source_type", "security_grade", "personal_info",
    "deidentification", "permitted_purpose", "usage_term_months", "other_restrictions", "extra_terms",
    "use_category", "price_model", "price_unit", "price_trial", "input_fields", "output_fields",
    *MATERIALS,
)  # fmt: skip


_DATES = ("risk_assessed_on", "compliance_assessed_on")


def _decimal_text(value: Decimal) -> str:
    """A price as text, the same however the database kept its scale: 1.5, not 1.5000 or 1.5E+0."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _as_input(product: DataProduct, licence_code: str, source_codes: list[str]) -> dict[str, Any]:
    """As JSON would carry it (a new version's input is kept as JSON): dates as text."""
    return {
        "slug": product.slug,
        **{
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name in _INPUT_COLUMNS
            if (value := getattr(product, name)) is not None or name not in _DATES
        },
        "price": _decimal_text(product.price) if product.price is not None else None,
        "license": licence_code,
        "source_datasets": source_codes,
        "schema": product.field_schema,
    }


def product_quality(session: Session, actor: Actor, slug: str) -> QualityReport:
    """The metadata quality of a product the actor may see, with what to improve."""
    product = _visible_product(session, actor, slug)
    facts = product_input(session, product)
    return quality.score(facts, _unlisted_sources(session, [saved_id(product)]).get(saved_id(product), 0))


def _unlisted_sources(session: Session, product_ids: Sequence[int]) -> dict[int, int]:
    rows = session.exec(
        select(ProductSource.product_id, func.count())
        .join(Dataset, col(Dataset.id) == col(ProductSource.dataset_id))
        .where(col(ProductSource.product_id).in_(product_ids), ~listed_sql(Dataset))
        .group_by(col(ProductSource.product_id))
    ).all()
    return dict(rows)


def product_values(data: ProductCreate, provider_id: int, licence_id: int) -> dict[str, Any]:
    """The column values of a new ``data_product`` row for validated ``data``."""
    listed_at = dt.datetime.combine(data.listed_at, dt.time(9, 30), tzinfo=dt.UTC) if data.listed_at else None
    return {
        **data.model_dump(
            exclude={
                "provider",
                "licence",
                "sectors",
                "source_datasets",
                "schema_fields",
                "input_fields",
                "output_fields",
                "listed_at",
                "deidentification",
                "other_restrictions",
                "extra_terms",
                "price_unit",
            }
        ),
        "deidentification": data.deidentification or "",
        "other_restrictions": data.other_restrictions or "",
        "extra_terms": data.extra_terms or "",
        "price_unit": data.price_unit or "",
        "field_schema": [f.model_dump(exclude_none=True) for f in data.schema_fields],
        "input_fields": [f.model_dump(exclude_none=True) for f in data.input_fields],
        "output_fields": [f.model_dump(exclude_none=True) for f in data.output_fields],
        "provider_id": provider_id,
        "licence_id": licence_id,
        "listed_at": listed_at,
    }


def next_listing_no(session: Session, year: int) -> str:
    """The next listing number (挂牌编号) of ``year``: HADP-<year>-<nnnn>."""
    return db.next_number(session, col(DataProduct.listing_no), f"HADP-{year}-", 4)


# --- reading --------------------------------------------------------------------------------------
_NEWEST = (col(DataProduct.listed_at).desc(), col(DataProduct.id).desc())


def list_products(
    session: Session, actor: Actor, filters: ProductFilters, found: SearchResult
) -> Page[ProductSummary]:
    """One page of public products: what the index ``found`` for ``filters``, loaded from the database."""
    return search.result_page(
        session, "product", Page[ProductSummary], DataProduct.slug, summarize, filters, found
    )


def summarize(session: Session, products: Sequence[DataProduct]) -> list[ProductSummary]:
    """Public summaries of ``products``, loading their organizations, licences and sectors at once."""
    if not products:
        return []
    return _summaries(session, products, _licences_of(session, products))


def _licences_of(session: Session, products: Sequence[DataProduct]) -> dict[int | None, Licence]:
    """The licences of ``products``, by id, in one query."""
    query = select(Licence).where(col(Licence.id).in_({p.licence_id for p in products}))
    return {lic.id: lic for lic in session.exec(query)}


def _summaries(
    session: Session, products: Sequence[DataProduct], licences: dict[int | None, Licence]
) -> list[ProductSummary]:
    orgs = organization_refs(session, {p.provider_id for p in products})
    sectors = sector_refs_by_item(
        session, ProductSector.product_id, ProductSector.sector_id, [p.id for p in products]
    )
    return [
        ProductSummary(
            id=p.slug,
            listing_no=p.listing_no,
            title=p.title,
            title_en=p.title_en,
            summary=p.summary,
            summary_en=p.summary_en,
            provider=orgs[p.provider_id],
            sectors=sectors[saved_id(p)],
            license=licence_ref(licences[p.licence_id]),
            product_type=p.product_type,
            delivery_mode=p.delivery_mode,
            price_model=p.price_model,
            price=float(p.price) if p.price is not None else None,
            price_unit=p.price_unit,
            status=p.status,
            listed_at=p.listed_at,
            url=product_url(p.slug),
        )
        for p in products
    ]


def _visible_product(session: Session, actor: Actor, slug: str) -> DataProduct:
    product = session.exec(select(DataProduct).where(DataProduct.slug == slug)).first()
    if product is None or not can_view_listing(
        actor, product.provider_id, reachable=states.is_reachable(product)
    ):
        raise NotFound(f"no data product {slug!r}")
    return product


def get_product(session: Session, actor: Actor, slug: str) -> ProductDetail:
    """Everything about one product the actor may see."""
    return product_details(session, [_visible_product(session, actor, slug)])[0]


def product_details(session: Session, products: Sequence[DataProduct]) -> list[ProductDetail]:
    """Everything about each of ``products`` (``get_product``'s answer for each), in at most eleven
    queries."""
    if not products:
        return []
    licences = _licences_of(session, products)  # read once, for the summaries and the details
    summaries = _summaries(session, products, licences)
    sources = _source_datasets(session, [p.id for p in products])
    versions = _version_histories(session, [p for p in products if p.status in REVIEWED_STATES])
    standing = standings(session, products)
    caps = caps_in_force(session, codes={code for st in standing.values() for code in st.authorizations})
    prices = price_histories(session, [p.id for p in products])
    registered = registrations_of(session, "product", [p.id for p in products])

    def cap(product: DataProduct) -> CapPublic | None:
        if product.use_category != UseCategory.INDUSTRY:
            return None
        found = cap_for(caps, standing[saved_id(product)].authorizations, product.price_model)
        return cap_public(*found) if found else None

    return [
        ProductDetail(
            **summary.model_dump(),
            authorization=standing.get(saved_id(product)),
            price_trial=product.price_trial,
            price_cap=cap(product),
            price_history=prices.get(saved_id(product), []),
            registration=registered.get(saved_id(product)),
            **{name: getattr(product, name) for name in MATERIALS if name != "scenarios"},
            versions=versions.get(product.id, []),
            sample_name=product.sample_name,
            sample_preview=product.sample_preview,
            registration_code=product.registration_code,
            description=product.description,
            description_en=product.description_en,
            source_datasets=sources.get(product.id, []),
            tags=product.tags,
            scenarios=product.scenarios,
            update_frequency=product.update_frequency,
            source_type=product.source_type,
            security_grade=product.security_grade,
            personal_info=product.personal_info,
            deidentification=product.deidentification,
            permitted_purpose=product.permitted_purpose,
            usage_term_months=product.usage_term_months,
            other_restrictions=product.other_restrictions,
            extra_terms=product.extra_terms,
            use_category=product.use_category,
            license_detail=licence_public(licences[product.licence_id]),
            schema_fields=product.field_schema,
            input_fields=product.input_fields,
            output_fields=product.output_fields,
            version=product.version,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )
        for product, summary in zip(products, summaries, strict=True)
    ]


def _source_datasets(
    session: Session, product_ids: Sequence[int | None]
) -> dict[int | None, list[SourceRef]]:
    """Each product's source datasets by code, with their titles and providers where they are public."""
    found: dict[int | None, list[SourceRef]] = {}
    for product_id, d, o in session.exec(
        select(ProductSource.product_id, Dataset, Organization)
        .join(Dataset, col(Dataset.id) == ProductSource.dataset_id)
        .join(Organization, col(Organization.id) == Dataset.provider_id)
        .where(col(ProductSource.product_id).in_(product_ids))
        .order_by(col(ProductSource.product_id), col(Dataset.code))
    ):
        found.setdefault(product_id, []).append(source_ref(d, o))
    return found


def _version_histories(
    session: Session, products: Sequence[DataProduct]
) -> dict[int | None, list[VersionEntry]]:
    """Each product's versions, newest first: the approved new versions, then the first listing."""
    approved: dict[int | None, list[ProductRevision]] = {p.id: [] for p in products}
    if products:
        for revision in session.exec(
            select(ProductRevision)
            .where(
                col(ProductRevision.product_id).in_(approved),
                ProductRevision.status == RevisionStatus.APPROVED,
            )
            .order_by(col(ProductRevision.id).desc())
        ):
            approved[revision.product_id].append(revision)
    histories: dict[int | None, list[VersionEntry]] = {}
    for product in products:
        revisions = approved[product.id]
        entries = [
            VersionEntry(version=r.version, date=r.decided_at, summary=r.change_summary) for r in revisions
        ]
        first = revisions[-1].base_version if revisions else product.version
        histories[product.id] = [*entries, VersionEntry(version=first, date=product.listed_at, summary="")]
    return histories


def newest_products(session: Session, limit: int = 6) -> list[ProductSummary]:
    rows = session.exec(
        select(DataProduct).where(listed_sql(DataProduct)).order_by(*_NEWEST).limit(limit)
    ).all()
    return summarize(session, rows)


# --- search documents -----------------------------------------------------------------------------
def search_documents(
    session: Session, product_ids: Sequence[int] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Index documents of the public (listed or in publicity) products among ``product_ids`` (all when
    None), and the ids of the others, which the index must not hold."""
    public, gone = search.public_and_gone(session, "product", DataProduct, product_ids)
    public_ids = [p.id for p in public]
    summaries = {s.id: s for s in summarize(session, public)}
    source_titles: dict[int, list[str]] = {}
    source_codes: dict[int, list[str]] = {}
    unlisted: dict[int, int] = {}
    for pid, title, code, status in session.exec(
        select(ProductSource.product_id, Dataset.title, Dataset.code, Dataset.status)
        .join(Dataset, col(Dataset.id) == col(ProductSource.dataset_id))
        .where(col(ProductSource.product_id).in_(public_ids))
    ):
        if states.is_public(status):  # no word of a dataset that is not public reaches the index
            source_titles.setdefault(pid, []).append(title)
        source_codes.setdefault(pid, []).append(code)
        unlisted[pid] = unlisted.get(pid, 0) + (not is_listed(status))
    requests = dict(
        session.exec(
            select(AccessRequest.product_id, func.count())
            .where(col(AccessRequest.product_id).in_(public_ids))
            .group_by(col(AccessRequest.product_id))
        ).all()
    )
    docs = []
    for p in public:
        s = summaries[p.slug]
        rating = quality.score(
            _as_input(p, s.license.code, source_codes.get(p.id, [])), unlisted.get(p.id, 0)
        )
        docs.append(
            search.common_document("product", p, s)
            | {
                "summary": f"{p.summary} {p.summary_en}",
                "tags": p.tags,
                "scenarios": p.scenarios,
                "sources": source_titles.get(p.id, []),
                "licence": s.license.code,
                "product_type": p.product_type,
                "delivery_mode": p.delivery_mode,
                "price_model": p.price_model,
                "requests": requests.get(p.id, 0),
                "quality": rating.score,
                "quality_band": rating.grade,
            }
        )
    return docs, gone


def product_ids_for(
    session: Session,
    *,
    provider_ids: Sequence[int] = (),
    licence_ids: Sequence[int] = (),
    sector_ids: Sequence[int] = (),
    dataset_ids: Sequence[int] = (),
) -> set[int]:
    """Ids of products whose search documents show these organizations, licences, sectors or datasets."""
    found: set[int] = set()
    if provider_ids:
        rows = session.exec(select(DataProduct.id).where(col(DataProduct.provider_id).in_(provider_ids)))
        found |= {id_ for id_ in rows if id_ is not None}  # primary keys: typed int | None, never NULL
    if licence_ids:
        rows = session.exec(select(DataProduct.id).where(col(DataProduct.licence_id).in_(licence_ids)))
        found |= {id_ for id_ in rows if id_ is not None}  # primary keys: typed int | None, never NULL
    if sector_ids:
        found |= set(
            session.exec(select(ProductSector.product_id).where(col(ProductSector.sector_id).in_(sector_ids)))
        )
    if dataset_ids:
        found |= set(
            session.exec(
                select(ProductSource.product_id).where(col(ProductSource.dataset_id).in_(dataset_ids))
            )
        )
    return found
