"""The catalog's figures: listed counts against the city's targets, by state and by sector."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from catalog.accounts import queries as organization_queries
from catalog.accounts.services import listed_counts_by_provider
from catalog.datasets import assessments
from catalog.datasets import queries as dataset_queries
from catalog.licences.queries import licences_by_id
from catalog.listings.states import ListingStatus
from catalog.models_base import utcnow
from catalog.products import queries as product_queries
from catalog.requests import queries as request_queries
from catalog.requests.workflow import ANSWERED, RequestStatus
from catalog.sectors.services import list_sectors
from catalog.settings import Settings
from catalog.site_settings.services import site_config
from catalog.stats.models import ViewCount


def _by_status(found: dict[str, int]) -> dict[str, int]:
    counts = {status.value: 0 for status in ListingStatus}
    counts.update(found)
    return counts


def catalog_stats(
    session: Session, settings: Settings, today: dt.date | None = None, *, detail: bool = True
) -> dict[str, Any]:
    """The catalog's figures: listed products and datasets against the targets, by state and by sector,
    and the access-request funnel. With ``detail`` (the dashboard, ``/api/v1/stats``, ``catalog stats``,
    the export) also the monthly trend, the projection, the pipeline, the breakdowns and usage."""
    today = today or dt.date.today()
    config = site_config(session, settings)
    products = _by_status(product_queries.count_by_status(session))
    datasets = _by_status(dataset_queries.count_by_status(session))

    high_quality = assessments.high_quality_dates(session)

    def block(counts: dict[str, int], target: int, counted: int, counts_what: str) -> dict[str, Any]:
        return {
            "listed": counts[ListingStatus.LISTED],
            "counted": counted,  # what counts toward the target
            "counts": counts_what,
            "target": target,
            "progress": round(min(1.0, counted / target), 4),
            "remaining": max(0, target - counted),
            "by_status": counts,
            "total": sum(counts.values()),
        }

    figures: dict[str, Any] = {
        # the products target counts listed products
        "products": block(
            products, config.target_products, products[ListingStatus.LISTED], "listed products"
        ),
        # the datasets target counts high-quality datasets: listed, their latest GB/T 36344
        # assessment passing (``datasets/assessments.py``)
        "datasets": {
            **block(datasets, config.target_datasets, len(high_quality), assessments.COUNTS),
            "high_quality": len(high_quality),
        },
        "as_of": today.isoformat(),
        "deadline": config.target_deadline.isoformat(),
        "days_to_deadline": (config.target_deadline - today).days,
        "organizations": organization_queries.count_by_kind(session),
        "by_sector": [
            {
                "sector": s.id,
                "name": s.name,
                "name_en": s.name_en,
                "products": s.products_listed,
                "datasets": s.datasets_listed,
            }
            for s in list_sectors(session)
        ],
    }
    if not detail:
        return figures
    figures["requests"] = request_figures(session)
    figures["pipeline"] = {"products": _pipeline(products), "datasets": _pipeline(datasets)}
    figures["trend"], figures["projection"] = {}, {}
    counted_dates = {
        "products": sorted(at.date() for at in product_queries.listed_dates(session)),
        "datasets": high_quality,  # the day each was assessed as passing
    }
    for kind, dates in counted_dates.items():
        figures["trend"][kind] = monthly_trend(dates, today)
        figures["projection"][kind] = projection(
            dates, figures[kind]["target"], config.target_deadline, today
        )
    figures["breakdowns"] = breakdowns(session)
    figures["usage"] = usage(session, today)
    return figures


def _pipeline(counts: dict[str, int]) -> dict[str, int]:
    """Items on their way to listing: drafts, waiting for or in review, back with the owner, in publicity."""
    return {
        "draft": counts[ListingStatus.DRAFT],
        "in_review": counts[ListingStatus.SUBMITTED] + counts[ListingStatus.IN_REVIEW],
        "changes_requested": counts[ListingStatus.CHANGES_REQUESTED],
        "publicity": counts[ListingStatus.PUBLICITY],
    }


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def monthly_trend(dates: list[dt.date], today: dt.date) -> list[dict[str, Any]]:
    """One row per month from the first listing to this month: listed that month and listed so far."""
    if not dates:
        return []
    per_month: dict[str, int] = {}
    for day in dates:
        per_month[_month(day)] = per_month.get(_month(day), 0) + 1
    rows, total = [], 0
    year, month = dates[0].year, dates[0].month
    last = max(today, dates[-1])
    while (year, month) <= (last.year, last.month):
        key = f"{year:04d}-{month:02d}"
        total += per_month.get(key, 0)
        rows.append({"month": key, "listed": per_month.get(key, 0), "total": total})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


PACE_WINDOW_DAYS = 182  # the pace is that of the last six months (or since the first listing, if later)
DAYS_PER_MONTH = 30.44
MAX_PROJECTION_DAYS = 100 * 365


def projection(dates: list[dt.date], target: int, deadline: dt.date, today: dt.date) -> dict[str, Any]:
    """When the target is reached at the current pace, and whether that is before the deadline.

    The pace is the listings of the last six months per day (since the first listing, if that is
    less than six months ago); the projected date is today plus what remains at that pace."""
    listed = len(dates)
    remaining = max(0, target - listed)
    months_left = max(0.0, (deadline - today).days / DAYS_PER_MONTH)
    out: dict[str, Any] = {
        "listed": listed,
        "target": target,
        "remaining": remaining,
        "pace_per_month": 0.0,
        # None once the deadline has passed: no pace reaches it any more
        "needed_per_month": round(remaining / months_left, 1)
        if months_left
        else (None if remaining else 0.0),
        "reached_on": None,
        "projected_date": None,
        "on_track": None,
    }
    if remaining == 0:
        out["reached_on"] = dates[target - 1].isoformat()
        out["on_track"] = dates[target - 1] <= deadline
        return out
    if not dates:
        out["on_track"] = False
        return out
    since = max(today - dt.timedelta(days=PACE_WINDOW_DAYS), dates[0])
    window = max(30, (today - since).days)
    recent = sum(1 for day in dates if today - dt.timedelta(days=window) <= day <= today)
    per_day = recent / window
    out["pace_per_month"] = round(per_day * DAYS_PER_MONTH, 1)
    if per_day == 0:
        out["on_track"] = False
        return out
    days = math.ceil(remaining / per_day)
    if days > MAX_PROJECTION_DAYS:  # not in any horizon worth a date
        out["on_track"] = False
        return out
    projected = today + dt.timedelta(days=days)
    out["projected_date"] = projected.isoformat()
    out["on_track"] = projected <= deadline
    return out


def _top(rows: Any, limit: int | None = None) -> list[tuple[Any, int]]:
    ordered = sorted(((key, int(n)) for key, n in rows), key=lambda r: (-r[1], str(r[0])))
    return ordered[:limit] if limit else ordered


def breakdowns(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Listed products by provider, product type and licence, and listed datasets by provider."""
    orgs = organization_queries.organizations_by_id(session)
    by_provider: dict[int, dict[str, Any]] = {}
    for counts, key in zip(listed_counts_by_provider(session), ("products", "datasets"), strict=True):
        for org_id, n in counts.items():
            org = orgs[org_id]
            entry = by_provider.setdefault(
                org_id,
                {
                    "id": org.slug,
                    "name": org.name,
                    "name_en": org.name_en,
                    "kind": org.kind,
                    "products": 0,
                    "datasets": 0,
                },
            )
            entry[key] = n
    types = product_queries.listed_count_by_type(session)
    licences = licences_by_id(session)
    by_licence = product_queries.listed_count_by_licence(session)
    uses = product_queries.listed_count_by_use(session)
    return {
        "provider": sorted(by_provider.values(), key=lambda e: (-(e["products"] + e["datasets"]), e["id"])),
        "product_type": [{"value": value, "products": n} for value, n in _top(types)],
        "licence": [
            {
                "code": licences[lid].code,
                "name": licences[lid].name,
                "name_en": licences[lid].name_en,
                "products": n,
            }
            for lid, n in _top(by_licence)
        ],
        "use_category": [{"value": value, "products": n} for value, n in _top(uses)],
    }


USAGE_DAYS = 30


def usage(session: Session, today: dt.date, limit: int = 10) -> dict[str, Any]:
    """Page views of the last 30 days (counts only: nothing about the visitors is kept) and the most
    viewed and most requested listed products."""
    since = today - dt.timedelta(days=USAGE_DAYS - 1)
    views = session.exec(
        select(ViewCount.kind, ViewCount.key, func.sum(ViewCount.views))
        .where(ViewCount.day >= since)
        .group_by(ViewCount.kind, ViewCount.key)
    ).all()
    totals = {"product": 0, "dataset": 0}
    for kind, _key, n in views:
        totals[kind] = totals.get(kind, 0) + int(n)
    # the figures are public: they name only what the public may see
    titles = {
        "product": product_queries.public_titles(session),
        "dataset": dataset_queries.public_titles(session),
    }
    viewed = _top(((kind, key), n) for kind, key, n in views if key in titles.get(kind, {}))
    requested = _top(request_queries.request_counts_by_public_product(session), limit)
    return {
        "days": USAGE_DAYS,
        "views": totals,
        "most_viewed": [
            {"kind": kind, "id": key, "title": titles[kind][key], "views": n}
            for (kind, key), n in viewed[:limit]
        ],
        "most_requested": [
            {"id": slug, "title": titles["product"][slug], "requests": n} for slug, n in requested
        ],
    }


def request_figures(session: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    """The access-request funnel: counts by state, how many got as far as approval and delivery,
    the rejection rate among decided requests, the median hours to the provider's first answer, and
    how many wait past their answer date."""
    now = now or utcnow()
    by_status = request_queries.count_by_status(session)
    reached = {
        target: request_queries.count_reached(session, target)
        for target in (RequestStatus.APPROVED, RequestStatus.DELIVERED, RequestStatus.REJECTED)
    }
    decided = reached[RequestStatus.APPROVED] + reached[RequestStatus.REJECTED]
    created = request_queries.creation_times(session)
    first_answers = request_queries.first_moves_to(session, ANSWERED)
    hours = sorted(
        (at - created[rid]).total_seconds() / 3600 for rid, at in first_answers.items() if rid in created
    )
    overdue = request_queries.count_overdue(session, now)
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "funnel": {"submitted": sum(by_status.values()), **reached},
        "rejection_rate": round(reached[RequestStatus.REJECTED] / decided, 4) if decided else 0.0,
        "median_hours_to_first_answer": round(statistics.median(hours), 2) if hours else None,
        "overdue": overdue,
    }


def stats_text(figures: dict[str, Any]) -> str:
    """The detailed figures for the terminal (``catalog stats``), after the headline counts."""
    lines = []
    for kind in ("products", "datasets"):
        p = figures["projection"][kind]
        if p["reached_on"]:
            outlook = f"target reached on {p['reached_on']}"
        elif p["projected_date"]:
            when = "before" if p["on_track"] else "AFTER"
            outlook = f"reached around {p['projected_date']}, {when} the deadline"
        else:
            outlook = "not reached at the current pace"
        needed = p["needed_per_month"]
        need = "the deadline has passed" if needed is None else f"{needed} needed"
        lines.append(
            f"Projection, {kind}: {p['pace_per_month']} a month over the last six months ({need}); {outlook}"
        )
    for kind in ("products", "datasets"):
        pipe = figures["pipeline"][kind]
        lines.append(f"Pipeline, {kind}: " + ", ".join(f"{k} {v}" for k, v in pipe.items()))
    r = figures["requests"]
    median = r["median_hours_to_first_answer"]
    lines.append(
        "Requests: "
        + " → ".join(f"{k} {v}" for k, v in r["funnel"].items())
        + f"; rejection rate {r['rejection_rate']:.1%}; median first answer "
        + (f"{median} h" if median is not None else "-")
        + f"; overdue {r['overdue']}"
    )
    lines.append("Listed by sector:")
    lines += [
        f"  {s['name']:<10} products {s['products']:>5}  datasets {s['datasets']:>4}"
        for s in figures["by_sector"]
    ]
    b = figures["breakdowns"]
    lines.append(
        "Listed products by type: " + ", ".join(f"{t['value']} {t['products']}" for t in b["product_type"])
    )
    lines.append(
        "Listed products by licence: " + ", ".join(f"{t['code']} {t['products']}" for t in b["licence"])
    )
    lines.append("Listed by provider (top 10):")
    lines += [
        f"  {o['name']:<24} products {o['products']:>5}  datasets {o['datasets']:>4}"
        for o in b["provider"][:10]
    ]
    u = figures["usage"]
    lines.append(
        f"Views, last {u['days']} days: products {u['views']['product']}, datasets {u['views']['dataset']}"
    )
    return "\n".join(lines)
