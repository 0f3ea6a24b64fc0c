"""schema.org ``Dataset`` JSON-LD for the product and dataset pages, with what Google Dataset Search
asks for (name, a description of 50 to 5000 characters, url, identifier, keywords, license, creator,
isAccessibleForFree, includedInDataCatalog, distribution) and what it recommends beyond that."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from catalog.accounts.models import OrganizationRef
from catalog.datasets.models import DatasetDetail
from catalog.errors import NotFound
from catalog.interop import datapackage
from catalog.licences import services as licences
from catalog.listings.urls import (
    api_dataset_url,
    api_product_url,
    home_url,
    organization_url,
    product_datapackage_url,
    product_sample_url,
)
from catalog.products.models import ProductDetail
from catalog.sectors.models import SectorRef
from catalog.vocabularies import PriceModel, SharingCondition, label

# The port's own facts: its name as its pages give it, and the city every item covers.
PORT_NAME = "淮安市数据港"
PORT_ALTERNATE_NAMES = ["淮安数据港", "Huai'an Data Port"]
CITY = "淮安市"
LANGUAGE = "zh-CN"  # titles and descriptions are Chinese first; English ones are the alternates
DESCRIPTION_MIN, DESCRIPTION_MAX = 50, 5000  # what Google accepts
# Datasets carry no licence of their own: operators reach them under the port's standard agreement for
# the authorized operation of public data (seed/licences.yaml), whose address the JSON-LD gives.
DATASET_LICENCE = "hadp-standard"


def product_jsonld(product: ProductDetail, base_url: str) -> dict[str, Any]:
    """The JSON-LD of a product page."""
    base = base_url.rstrip("/")
    url = base + product.url
    fields = product.schema_fields or product.output_fields
    return _compact(
        {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "@id": url,
            "name": product.title,
            "alternateName": product.title_en,
            "description": description(
                [product.summary, product.description, product.summary_en, product.description_en],
                [product.provider.name, product.provider.name_en, product.title_en, url],
            ),
            "url": url,
            "identifier": [v for v in (product.listing_no, product.registration_code) if v] or [product.id],
            "keywords": _unique([*product.tags, *_sector_names(product.sectors)]),
            "license": licences.licence_url(product.license, base),
            "creator": organization(product.provider, base),
            "publisher": organization(product.provider, base),
            "isAccessibleForFree": product.price_model == PriceModel.FREE,
            "includedInDataCatalog": data_catalog(base),
            "distribution": product_distributions(product, base),
            "inLanguage": LANGUAGE,
            "version": product.version,
            "datePublished": _date(product.listed_at),
            "dateModified": _timestamp(product.updated_at),
            "spatialCoverage": {"@type": "Place", "name": CITY},
            "isBasedOn": [base + d.url for d in product.source_datasets if d.url],
            "variableMeasured": [_variable(f) for f in fields],
        }
    )


def dataset_jsonld(session: Session, dataset: DatasetDetail, base_url: str) -> dict[str, Any]:
    """The JSON-LD of a dataset page (the session finds the licence it is reached under)."""
    base = base_url.rstrip("/")
    url = base + dataset.url
    return _compact(
        {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "@id": url,
            "name": dataset.title,
            "alternateName": dataset.title_en,
            "description": description(
                [dataset.description, dataset.description_en],
                [dataset.provider.name, dataset.provider.name_en, dataset.title_en, url],
            ),
            "url": url,
            "identifier": dataset.id,
            "keywords": _unique([*dataset.keywords, *_sector_names(dataset.sectors)]),
            "license": _dataset_licence_url(session, base),
            "conditionsOfAccess": label("sharing_condition", dataset.sharing_condition, "zh"),
            "creator": organization(dataset.provider, base),
            "publisher": organization(dataset.provider, base),
            "isAccessibleForFree": dataset.sharing_condition == SharingCondition.UNCONDITIONAL,
            "includedInDataCatalog": data_catalog(base),
            "distribution": [
                _download(base + api_dataset_url(dataset.id), "application/json", "Metadata (JSON)")
            ],
            "inLanguage": LANGUAGE,
            "datePublished": _date(dataset.listed_at),
            "dateModified": _timestamp(dataset.updated_at),
            "spatialCoverage": {"@type": "Place", "name": dataset.spatial_coverage or CITY},
            "temporalCoverage": temporal_coverage(dataset.temporal_start, dataset.temporal_end),
            "variableMeasured": [_variable(f) for f in dataset.schema_fields],
        }
    )


def product_distributions(product: ProductDetail, base: str) -> list[dict[str, Any]]:
    """What can be fetched of a product: its sample, its data package and its description."""
    downloads = []
    if product.sample_preview:
        downloads.append(_download(base + product_sample_url(product.id), "text/csv", "sample.csv"))
    if datapackage.has_package(product):
        downloads.append(
            _download(base + product_datapackage_url(product.id), "application/json", "datapackage.json")
        )
    # every product's description, with an API's input and output fields (the port serves no API docs)
    downloads.append(_download(base + api_product_url(product.id), "application/json", "Metadata (JSON)"))
    return downloads


def description(texts: list[str], extras: list[str]) -> str:
    """The texts joined, then the extras as long as it is shorter than Google's minimum, cut to its
    maximum."""
    parts = _unique([t.strip() for t in texts if t and t.strip()])
    for extra in extras:
        if len(" ".join(parts)) >= DESCRIPTION_MIN:
            break
        if extra and extra not in parts:
            parts.append(extra)
    return " ".join(parts)[:DESCRIPTION_MAX]


def organization(org: OrganizationRef, base: str) -> dict[str, Any]:
    return _compact(
        {
            "@type": "Organization",
            "name": org.name,
            "alternateName": org.name_en,
            "url": base + organization_url(org.id),
        }
    )


def data_catalog(base: str) -> dict[str, Any]:
    return {
        "@type": "DataCatalog",
        "name": PORT_NAME,
        "alternateName": PORT_ALTERNATE_NAMES,
        "url": base + home_url(),
    }


def temporal_coverage(start: dt.date | None, end: dt.date | None) -> str | None:
    """An ISO 8601 interval, open (``..``) at an unknown end."""
    if start is None and end is None:
        return None
    return f"{start.isoformat() if start else '..'}/{end.isoformat() if end else '..'}"


def _dataset_licence_url(session: Session, base: str) -> str | None:
    try:
        return licences.licence_url(licences.get_licence(session, DATASET_LICENCE), base)
    except NotFound:  # a catalog without the port's agreement: say nothing rather than guess
        return None


def _download(url: str, media_type: str, name: str) -> dict[str, Any]:
    return {"@type": "DataDownload", "name": name, "encodingFormat": media_type, "contentUrl": url}


def _variable(field: dict[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "@type": "PropertyValue",
            "name": field.get("name"),
            "description": field.get("description"),
            "unitText": field.get("unit"),
        }
    )


def _sector_names(sectors: list[SectorRef]) -> list[str]:
    return [name for s in sectors for name in (s.name, s.name_en) if name]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _date(value: dt.datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def _timestamp(value: dt.datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat(timespec="seconds")


def _compact(doc: dict[str, Any]) -> dict[str, Any]:
    """Without the properties that have no value (False is a value)."""
    return {k: v for k, v in doc.items() if v is not None and v != "" and v != []}
