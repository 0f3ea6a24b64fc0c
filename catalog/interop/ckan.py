"""The CKAN Action API: ``/api/action/{name}`` and ``/api/3/action/{name}``, GET with query parameters
or POST with a JSON body, answered in CKAN's envelope and with CKAN's errors and status codes, so that
CKAN clients (``ckanapi``) and harvesters (ckanext-harvest) read the port as a CKAN site.

Parameters are read as CKAN's validators read them (409 ``Validation Error`` naming the field);
``fq`` and ``sort`` as its Solr does (400 ``Search Query Error``). ``ckan_mapping`` maps the catalog.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlmodel import Session
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from catalog.accounts import services as accounts
from catalog.accounts.queries import organizations_created
from catalog.errors import BadRequest, CatalogError, Forbidden, Invalid, NotFound, Unauthorized
from catalog.interop import ckan_mapping as mapping
from catalog.interop.ckan_mapping import Clause, Every, Node, QueryError
from catalog.interop.schemaorg import DATASET_LICENCE
from catalog.licences import services as licences
from catalog.listings.search import FIELDS
from catalog.listings.urls import ckan_action_url
from catalog.pagination import MAX_PER_PAGE, PageParams
from catalog.sectors import services as sectors
from catalog.validation import load_json
from catalog.web import call, refuse_nul
from search_index import SearchResult
from search_index.analysis import title_sort_key

log = logging.getLogger("catalog.ckan")

CKAN_VERSION = "2.11.0"  # the CKAN whose API these answers follow
ROWS_MAX = 1000  # ckan.search.rows_max: more is quietly cut to it, as CKAN does
DEFAULT_SORT = "score desc, metadata_modified desc"
LIST_MAX = 1000  # ckan.group_and_organization_list_max
LIST_ALL_FIELDS_MAX = 25  # ckan.group_and_organization_list_all_fields_max
PACKAGES_MAX = 1000  # the packages organization_show and group_show include
# what CKAN's package_search takes (its own, and the Solr parameters it passes on)
SEARCH_PARAMETERS = frozenset(
    {"q", "fq", "fq_list", "rows", "start", "sort", "fl", "facet", "facet.field", "facet.limit"}
    | {"facet.mincount", "include_private", "include_drafts", "include_deleted", "use_default_schema"}
    | {"wt", "qf", "bf", "boost", "tie", "defType", "mm", "df", "extras"}
)
_INTEGER = re.compile(r"\s*[+-]?\d{1,18}\s*")
_TRUE, _FALSE = ("true", "yes", "on", "y", "t", "1"), ("false", "no", "off", "n", "f", "0", "")


class ActionError(Exception):
    """An action's failure as CKAN reports it: the HTTP status and the ``error`` object."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _invalid(fields: dict[str, list[str]]) -> ActionError:
    return ActionError(409, {**fields, "__type": "Validation Error"})


def _search_query_error(message: str) -> ActionError:
    return ActionError(
        400, {"__type": "Search Query Error", "message": f"Search Query is invalid: {message!r}"}
    )


def _from_catalog(error: CatalogError) -> ActionError:
    if isinstance(error, NotFound):
        return ActionError(404, {"__type": "Not Found Error", "message": f"Not found: {error.message}"})
    if isinstance(error, Forbidden | Unauthorized):
        return ActionError(
            403, {"__type": "Authorization Error", "message": f"Access denied: {error.message}"}
        )
    if isinstance(error, Invalid) and error.fields:
        return _invalid({name: [message] for name, message in error.fields.items()})
    return _invalid({"message": [error.message]})


# --- reading parameters ---------------------------------------------------------------------------
class Params:
    """An action's parameters read as CKAN's validators read them; problems are kept per field and
    raised together by ``check``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def integer(self, key: str, default: int) -> int:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and _INTEGER.fullmatch(value))
        ):
            self.fail(key, "Invalid integer")
            return default
        return int(value)

    def natural(self, key: str, default: int) -> int:
        value = self.integer(key, default)
        if value < 0:
            self.fail(key, "Must be a natural number")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return default if value is None else value
        text = str(value).strip().lower()
        if text not in _TRUE + _FALSE:
            self.fail(key, "Value must be one of: true, false")
            return default
        return text in _TRUE

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, list | dict):
            self.fail(key, "Must be a string")
            return default
        return str(value)

    def strings(self, key: str) -> list[str]:
        """A list of strings: a list, a JSON list in a string (``'["tags"]'``), or one plain string."""
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            try:
                value = load_json(value)
            except ValueError:
                value = [value]
            value = [value] if isinstance(value, str) else value
        if not isinstance(value, list):
            self.fail(key, "Not a list")
            return []
        if not all(isinstance(item, str) for item in value):
            self.fail(key, "Not a string")
            return []
        return value

    def required(self, key: str) -> str:
        value = self.text(key)
        if not value.strip() and key not in self.errors:
            self.fail(key, "Missing value")
        return value.strip()

    def check(self) -> None:
        if self.errors:
            raise _invalid(self.errors)


# --- package_search -------------------------------------------------------------------------------
@dataclass
class SearchQuery:
    """A read ``package_search``: the text for the index, the filter over packages, order and page."""

    text: str = ""
    where: Node | None = None
    sort: str = DEFAULT_SORT
    order: list[tuple[str, bool]] = field(default_factory=lambda: mapping.parse_sort(DEFAULT_SORT))
    rows: int = 10
    start: int = 0
    facets: list[str] = field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1
    fl: list[str] = field(default_factory=list)


def _search_query(data: dict[str, Any]) -> SearchQuery:
    """Read package_search's parameters: CKAN's validation first (409), then its query (400)."""
    unknown = sorted(set(data) - SEARCH_PARAMETERS)
    params = Params(data)
    rows = params.natural("rows", 10)
    start = params.natural("start", 0)
    q, fq, fq_list = params.text("q"), params.text("fq"), params.strings("fq_list")
    sort = params.text("sort").strip() or DEFAULT_SORT
    facet = params.boolean("facet", True)
    facets = params.strings("facet.field")
    facet_limit = params.integer("facet.limit", 50)
    facet_mincount = params.natural("facet.mincount", 1)
    fl = [name for name in re.split(r"[\s,]+", params.text("fl")) if name]
    params.check()
    if unknown:  # CKAN names them rather than ignoring them: ``limit`` for ``rows`` is a mistake
        raise _search_query_error(f"Invalid search parameters: {unknown}")
    not_facets = [name for name in facets if name not in mapping.FACET_FIELDS]
    if not_facets:
        raise _search_query_error(f"facet.field {not_facets[0]!r}: use {', '.join(mapping.FACET_FIELDS)}")
    text, clauses = _read_q(q)
    try:
        where = _all_of([clauses, *(mapping.parse_fq(f) for f in [fq, *fq_list])])
        order = mapping.parse_sort(sort)
    except QueryError as exc:
        raise _search_query_error(str(exc)) from None
    chosen = list(dict.fromkeys(facets)) if facet else []
    return SearchQuery(
        text, where, sort, order, min(rows, ROWS_MAX), start, chosen, facet_limit, facet_mincount, fl
    )


def _read_q(q: str) -> tuple[str, Node | None]:
    """Free text for the index, or — when ``q`` is made of ``field:value`` clauses on package fields,
    as some clients send it — those clauses as a filter."""
    q = q.strip()
    if q in ("", "*", "*:*"):
        return "", None
    if re.match(r"[+-]?[A-Za-z_][\w.]*:", q):
        try:
            return "", mapping.parse_fq(q)
        except QueryError:
            pass  # title:…, or text with a colon: the index reads it
    return q, None


def _all_of(nodes: Iterable[Node | None]) -> Node | None:
    present = tuple(node for node in nodes if node is not None)
    return present[0] if len(present) == 1 else Every(present) if present else None


async def _find(request: Request, query: SearchQuery) -> SearchResult:
    """Every listed item the catalog's search index holds for the query's text and the filters it
    can apply, with relevance scores (the index has one search thread: its limiter)."""
    names = FIELDS["product"]  # filter name -> index field, shared by both catalogs here
    filters = {"status": ["listed"]}
    filters.update({names[name]: values for name, values in mapping.index_filters(query.where).items()})
    found: SearchResult
    found, _ = await request.app.state.search.search(
        query.text, kind=None, filters=filters, offset=0, limit=None
    )
    return found


def _keys(found: SearchResult) -> dict[str, list[str]]:
    """The keys of the hits, by kind (``product``, ``dataset``)."""
    keys: dict[str, list[str]] = {"product": [], "dataset": []}
    for hit in found.hits:
        keys[hit.kind].append(hit.key)
    return keys


def _search(session: Session, base: str, query: SearchQuery, found: SearchResult) -> dict[str, Any]:
    """package_search's result: the matches' facts filtered, counted and sorted; the page's packages."""
    facts, labels = mapping.load_facts(session, _keys(found))
    if query.where is not None:
        facts = [f for f in facts if query.where.matches(f)]
    mapping.sort_facts(facts, {(h.kind, h.key): h.score for h in found.hits}, query.order)
    packages = mapping.Packages(session, base)
    results = [packages.of(f.kind, f.key) for f in facts[query.start : query.start + query.rows]]
    if query.fl:
        results = [{name: package.get(name) for name in query.fl} for package in results]
    counts = mapping.count_facets(facts, query.facets, query.facet_limit, query.facet_mincount)
    return {
        "count": len(facts),
        "facets": {name: dict(values) for name, values in counts.items()},
        "results": results,
        "sort": query.sort,
        "search_facets": {
            name: {
                "title": name,
                "items": [{"name": v, "display_name": labels.of(name, v), "count": n} for v, n in values],
            }
            for name, values in counts.items()
        },
    }


async def _run_search(request: Request, query: SearchQuery) -> dict[str, Any]:
    found = await _find(request, query)
    return await call(request, _search, request.app.state.settings.base_url, query, found)


# --- actions --------------------------------------------------------------------------------------
async def package_search(request: Request, data: dict[str, Any]) -> Any:
    """Search the listed data products and datasets. Parameters: q (segmented Chinese, pinyin, English),
    fq (organization:, groups:, tags:, license_id:, res_format:, name:, id:, metadata_modified:[a TO b];
    quoted values, AND/OR/NOT, -negation), fq_list, rows (default 10, at most 1000), start, sort
    (score, metadata_modified, metadata_created, name, id, title_string; asc or desc), facet,
    facet.field (a list or a JSON list), facet.limit (default 50, negative: all), facet.mincount, fl."""
    return await _run_search(request, _search_query(data))


async def package_show(request: Request, data: dict[str, Any]) -> Any:
    """One listed package by id (product slug, dataset resource code) or name."""
    params = Params(data)
    ident = params.required("id")
    params.check()
    base = request.app.state.settings.base_url
    return await call(request, lambda session: mapping.Packages(session, base).show(ident))


async def package_list(request: Request, data: dict[str, Any]) -> Any:
    """The names of every listed package, in order; limit and offset page through them."""
    params = Params(data)
    limit, offset = params.natural("limit", sys.maxsize), params.natural("offset", 0)
    params.check()
    found = await _find(request, SearchQuery())
    facts, _ = await call(request, mapping.load_facts, _keys(found))
    return sorted(f.name for f in facts)[offset : offset + limit]


def _listing(params: Params, items: list[dict[str, Any]], all_fields: bool, wanted: list[str]) -> list[Any]:
    """organization_list and group_list: filtered by names and ``q``, sorted, paged; names or dicts."""
    q = params.text("q").strip().lower()
    sort = params.text("sort").strip() or "title asc"
    limit_max = LIST_ALL_FIELDS_MAX if all_fields else LIST_MAX
    limit = min(params.natural("limit", limit_max), limit_max)
    offset = params.natural("offset", 0)
    words = sort.split()
    if len(words) not in (1, 2) or words[0] not in ("name", "title", "package_count", "packages"):
        params.fail("sort", f"Cannot sort by field `{words[0] if words else sort}`")
    elif len(words) == 2 and words[1].lower() not in ("asc", "desc"):
        params.fail("sort", f"Cannot sort by direction `{words[1]}`")
    params.check()
    if wanted:
        items = [item for item in items if item["name"] in wanted]
    if q:
        items = [i for i in items if any(q in str(i[k]).lower() for k in ("name", "title", "description"))]
    key = {"package_count": "package_count", "packages": "package_count"}.get(words[0], words[0])
    descending = len(words) == 2 and words[1].lower() == "desc"
    items = sorted(
        items, key=lambda i: title_sort_key(i[key]) if key == "title" else i[key], reverse=descending
    )
    page = items[offset : offset + limit]
    return page if all_fields else [item["name"] for item in page]


def _organizations(session: Session) -> list[dict[str, Any]]:
    """Every organization the public lists show (suspended ones are left out), as CKAN dicts."""
    found, page = [], 1
    while True:
        listed = accounts.list_organizations(session, None, PageParams(page=page, per_page=MAX_PER_PAGE))
        found += listed.items
        if page >= listed.pages:
            break
        page += 1
    created = organizations_created(session, [o.id for o in found])
    return [mapping.organization_full(o, created.get(o.id)) for o in found]


async def organization_list(request: Request, data: dict[str, Any]) -> Any:
    """Organization names (or dicts with all_fields), sorted by sort (title, name, package_count; asc
    by default), paged by limit (at most 1000, or 25 with all_fields, as CKAN) and offset."""
    params = Params(data)
    all_fields = params.boolean("all_fields", False)
    wanted = params.strings("organizations")
    params.check()
    items = await call(request, _organizations)
    return _listing(params, items, all_fields, wanted)


def _organization(session: Session, ident: str) -> dict[str, Any]:
    org = accounts.get_organization(session, ident)
    return mapping.organization_full(org, organizations_created(session, [org.id]).get(org.id))


async def _with_packages(request: Request, result: dict[str, Any], where: Clause) -> dict[str, Any]:
    """``result`` with its listed packages (and their count), as include_datasets asks."""
    found = await _run_search(request, SearchQuery(where=where, rows=PACKAGES_MAX))
    return {**result, "package_count": found["count"], "packages": found["results"]}


async def organization_show(request: Request, data: dict[str, Any]) -> Any:
    """One organization by id or name; include_datasets adds its listed packages."""
    params = Params(data)
    ident = params.required("id")
    include = params.boolean("include_datasets", False)
    params.check()
    result = await call(request, _organization, ident)
    return await _with_packages(request, result, Clause("organization", result["id"])) if include else result


async def group_list(request: Request, data: dict[str, Any]) -> Any:
    """Sector names (or dicts with all_fields); the same parameters as organization_list."""
    params = Params(data)
    all_fields = params.boolean("all_fields", False)
    wanted = params.strings("groups")
    params.check()
    items = [mapping.group_dict(s) for s in await call(request, sectors.list_sectors)]
    return _listing(params, items, all_fields, wanted)


async def group_show(request: Request, data: dict[str, Any]) -> Any:
    """One sector by id or name; include_datasets adds its listed packages."""
    params = Params(data)
    ident = params.required("id")
    include = params.boolean("include_datasets", False)
    params.check()
    found = [s for s in await call(request, sectors.list_sectors) if s.id == ident]
    if not found:
        raise NotFound(f"no group {ident!r}")
    result = mapping.group_dict(found[0])
    return await _with_packages(request, result, Clause("groups", ident)) if include else result


async def license_list(request: Request, data: dict[str, Any]) -> Any:
    """Every licence (and CKAN's ``notspecified`` when datasets have no agreement to name)."""
    base = request.app.state.settings.base_url
    found = [mapping.licence_dict(lic, base) for lic in await call(request, licences.list_licences)]
    named = any(lic["id"] == DATASET_LICENCE for lic in found)
    return found if named else [*found, mapping.NOT_SPECIFIED_LICENCE]


async def status_show(request: Request, data: dict[str, Any]) -> Any:
    """The site: title, description, address, default language, and the CKAN version followed."""
    settings = request.app.state.settings
    return {
        "site_title": "淮安市数据港",
        "site_description": "淮安市数据港：数据产品清单与授权运营数据目录",
        "site_url": settings.base_url,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "zh_Hans_CN" if settings.default_language == "zh" else "en",
        "extensions": [],
    }


async def help_show(request: Request, data: dict[str, Any]) -> Any:
    """What an action does and the parameters it takes."""
    params = Params(data)
    name = params.required("name")
    params.check()
    if name not in ACTIONS:
        raise NotFound("Action function not found")
    return " ".join((ACTIONS[name].__doc__ or "").split())


Action = Callable[[Request, dict[str, Any]], Awaitable[Any]]
ACTIONS: dict[str, Action] = {
    action.__name__: action
    for action in (
        package_search,
        package_show,
        package_list,
        organization_list,
        organization_show,
        group_list,
        group_show,
        license_list,
        status_show,
        help_show,
    )
}


# --- the door -------------------------------------------------------------------------------------
def _mixed(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Parameters as CKAN reads them: a repeated name gives a list, a single one its value."""
    values: dict[str, list[Any]] = {}
    for key, value in items:
        values.setdefault(key, []).append(value)
    return {key: found[0] if len(found) == 1 else found for key, found in values.items()}


async def _request_data(request: Request) -> dict[str, Any]:
    """The action's parameters: the query string of a GET, else a POST's JSON (or form) body;
    ValueError, worded as CKAN's, when the body is not a JSON object."""
    if request.method == "GET":
        return _mixed(request.query_params.multi_items())
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            async with request.form(max_files=0, max_fields=200) as form:
                return _mixed((k, v) for k, v in form.multi_items() if isinstance(v, str))
        except MultiPartException as exc:
            raise ValueError(f"Error decoding form data. Error: {exc}") from None
    body = await request.body()
    if not body.strip():
        return _mixed(request.query_params.multi_items())
    try:
        data = load_json(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"Error decoding JSON data. Error: {exc!r}") from None
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data


def _bad_request(message: str) -> Response:
    """CKAN's answer to a request it cannot take at all: a JSON string, without the envelope."""
    return JSONResponse(f"Bad request - {message}", status_code=400)


async def action(request: Request) -> Response:
    """Run the named action and answer in CKAN's envelope."""
    name = request.path_params["name"]
    handler = ACTIONS.get(name)
    if handler is None:
        return _bad_request(f"Action name not known: {name}")
    try:
        data = refuse_nul(await _request_data(request))
    except ValueError as exc:
        return _bad_request(f"JSON Error: {exc}")
    except BadRequest as exc:  # PostgreSQL can neither hold nor compare text with U+0000
        return _bad_request(exc.message)
    data.pop("callback", None)  # JSONP is not offered
    envelope: dict[str, Any] = {
        "help": request.app.state.settings.base_url + ckan_action_url("help_show") + f"?name={quote(name)}"
    }
    try:
        result = await handler(request, data)
    except ActionError as exc:
        error = exc
    except QueryError as exc:
        error = _search_query_error(str(exc))
    except CatalogError as exc:
        error = _from_catalog(exc)
    except Exception:  # CKAN's answer to its own failure; logged, never a traceback
        log.exception("CKAN action %s failed", name)
        error = ActionError(500, {"__type": "Internal Server Error", "message": "Internal Server Error"})
    else:
        return JSONResponse({**envelope, "success": True, "result": result})
    return JSONResponse({**envelope, "success": False, "error": error.error}, status_code=error.status)


routes: list[BaseRoute] = [
    Route("/api/action/{name}", action, methods=["GET", "POST"], name="ckan.action"),
    Route("/api/3/action/{name}", action, methods=["GET", "POST"], name="ckan.action.v3"),
]
