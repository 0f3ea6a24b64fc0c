"""The CKAN Action API, as CKAN clients use it: the real ``ckanapi`` client (and raw HTTP for the error
envelopes) against the app served by uvicorn on 127.0.0.1, on a copy of the seeded catalog."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import requests
import uvicorn
from sqlmodel import Session, select

from catalog import db
from catalog.app import create_app
from catalog.datasets.models import Dataset
from catalog.interop.ckan_mapping import dataset_name
from catalog.licences.models import Licence
from catalog.products.models import DataProduct
from catalog.sectors.models import Sector
from catalog.settings import Settings
from search_index.analysis import title_sort_key
from tests.conftest import copy_data_dir, make_settings

BUS_PRODUCTS = {"bus-realtime-arrival-api", "bus-ridership-od-transfer-dataset", "open-transit-data-pack"}
FACETS = ["organization", "groups", "tags", "license_id", "res_format"]


@pytest.fixture(scope="module")
def served(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Settings]]:
    """The app under uvicorn, in a thread, on a free port of 127.0.0.1: its address and settings."""
    data_dir = copy_data_dir(seeded_template, tmp_path_factory.mktemp("ckan") / "var", request)
    settings = make_settings(data_dir)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", settings
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@pytest.fixture(scope="module")
def url(served: tuple[str, Settings]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def ckan(url: str) -> Iterator[ckanapi.RemoteCKAN]:
    with ckanapi.RemoteCKAN(url) as remote:
        yield remote


@pytest.fixture(scope="module")
def listed(served: tuple[str, Settings]) -> set[str]:
    """The CKAN names of the listed products and datasets, read from the database."""
    engine = db.make_engine(served[1].database_url)
    with Session(engine) as session:
        slugs = session.exec(select(DataProduct.slug).where(DataProduct.status == "listed")).all()
        codes = session.exec(select(Dataset.code).where(Dataset.status == "listed")).all()
    engine.dispose()
    return set(slugs) | {dataset_name(code) for code in codes}


def search(ckan: ckanapi.RemoteCKAN, **params: Any) -> dict[str, Any]:
    return ckan.action.package_search(**params)


def names(result: dict[str, Any]) -> list[str]:
    return [package["name"] for package in result["results"]]


# --- package_search -------------------------------------------------------------------------------
def test_chinese_query_finds_the_bus_products_and_dataset(ckan: ckanapi.RemoteCKAN) -> None:
    found = search(ckan, q="公交", rows=100)
    assert found["count"] == len(found["results"]) > 0
    assert BUS_PRODUCTS | {"ha_jtj_001"} <= set(names(found))
    assert found["sort"] == "score desc, metadata_modified desc"
    assert found["facets"] == {} and found["search_facets"] == {}


def test_search_holds_every_listed_package_and_cuts_rows_to_1000(
    ckan: ckanapi.RemoteCKAN, listed: set[str]
) -> None:
    found = search(ckan, rows=5000)  # more than CKAN's maximum: cut to it, as CKAN does, not refused
    assert found["count"] == len(listed) == len(found["results"]) <= 1000
    assert set(names(found)) == listed
    assert search(ckan, rows=0)["results"] == []


def test_fq_organization_gives_that_organizations_packages(ckan: ckanapi.RemoteCKAN) -> None:
    found = search(ckan, fq="organization:jtj", rows=100)
    assert found["count"] == ckan.action.organization_show(id="jtj")["package_count"] > 0
    assert {p["organization"]["name"] for p in found["results"]} == {"jtj"}
    assert {p["owner_org"] for p in found["results"]} == {"jtj"}


def test_fq_groups_gives_the_sectors_packages(ckan: ckanapi.RemoteCKAN) -> None:
    found = search(ckan, fq="groups:transport", rows=100)
    sector = ckan.action.group_show(id="transport")
    assert found["count"] == sector["package_count"] > 0
    assert all("transport" in {g["name"] for g in p["groups"]} for p in found["results"])


def test_fq_tags_and_license_id_take_quoted_values(ckan: ckanapi.RemoteCKAN) -> None:
    tagged = search(ckan, fq='tags:"公交"', rows=100)
    assert tagged["count"] > 0 and all("公交" in {t["name"] for t in p["tags"]} for p in tagged["results"])
    assert search(ckan, fq="tags:公交")["count"] == tagged["count"]
    licensed = search(ckan, fq='license_id:"cc-by-4.0"', rows=100)
    assert licensed["count"] > 0 and {p["license_id"] for p in licensed["results"]} == {"cc-by-4.0"}
    for name in ("ha_jtj_001", "bus-realtime-arrival-api"):  # the agreement datasets and products name
        assert search(ckan, fq=f"license_id:hadp-standard name:{name}", rows=0)["count"] == 1


def test_fq_clauses_join_with_and_spaces_or_and_negation(ckan: ckanapi.RemoteCKAN) -> None:
    def count(fq: str) -> int:
        return search(ckan, fq=fq, rows=0)["count"]

    total, jtj, transport = count(""), count("organization:jtj"), count("groups:transport")
    both = count('organization:"jtj" AND groups:"transport"')
    assert 0 < both <= min(jtj, transport)
    assert count("organization:jtj groups:transport") == count("+organization:jtj +groups:transport") == both
    assert count("organization:jtj OR groups:transport") == jtj + transport - both
    assert count("groups:(transport OR healthcare)") == count("groups:transport OR groups:healthcare")
    assert count("-organization:jtj") == count("NOT organization:jtj") == total - jtj
    assert count('organization:jtj AND tags:"公交" AND res_format:CSV') == 1  # HA-JTJ-001


def test_fq_metadata_modified_range_as_harvesters_send_it(ckan: ckanapi.RemoteCKAN) -> None:
    everything = search(ckan, rows=0)["count"]
    assert search(ckan, fq="metadata_modified:[2000-01-01T00:00:00Z TO *]", rows=0)["count"] == everything
    assert search(ckan, fq="metadata_modified:[2999-01-01T00:00:00Z TO *]", rows=0)["count"] == 0
    since = "organization:jtj OR organization:sjj metadata_modified:[2000-01-01T00:00:00Z TO NOW]"
    assert search(ckan, fq=since, sort="id asc", rows=0)["count"] > 0


def test_pages_of_rows_and_start_add_up_to_the_count(ckan: ckanapi.RemoteCKAN, listed: set[str]) -> None:
    count = search(ckan, rows=0)["count"]
    seen: list[str] = []
    for start in range(0, count + 100, 100):
        seen += names(search(ckan, rows=100, start=start, sort="id asc"))
    assert len(seen) == len(set(seen)) == count and set(seen) == listed


def test_facet_counts_are_the_counts_of_their_filters(ckan: ckanapi.RemoteCKAN) -> None:
    found = search(ckan, q="交通", **{"facet.field": FACETS, "facet.limit": -1})
    assert set(found["facets"]) == set(found["search_facets"]) == set(FACETS)
    for field in FACETS:
        facet = found["search_facets"][field]
        assert facet["title"] == field and facet["items"], field
        assert {i["name"]: i["count"] for i in facet["items"]} == found["facets"][field]
        for item in facet["items"][:3]:
            narrowed = search(ckan, q="交通", fq=f'{field}:"{item["name"]}"', rows=0)
            assert narrowed["count"] == item["count"], (field, item)


def test_search_facets_name_organizations_groups_and_licences(ckan: ckanapi.RemoteCKAN) -> None:
    found = search(ckan, fq="organization:jtj", **{"facet.field": '["organization", "license_id", "groups"]'})
    [org] = found["search_facets"]["organization"]["items"]
    jtj = ckan.action.organization_show(id="jtj")
    assert org == {"name": "jtj", "display_name": jtj["title"], "count": jtj["package_count"]}
    licences = {lic["id"]: lic["title"] for lic in ckan.action.license_list()}
    assert all(
        i["display_name"] == licences[i["name"]] for i in found["search_facets"]["license_id"]["items"]
    )
    group = found["search_facets"]["groups"]["items"][0]
    assert group["display_name"] == ckan.action.group_show(id=group["name"])["title"]


def test_facet_limit_and_switching_facets_off(ckan: ckanapi.RemoteCKAN) -> None:
    limited = search(ckan, **{"facet.field": ["tags"], "facet.limit": 3})
    assert len(limited["facets"]["tags"]) == 3
    counts = [i["count"] for i in limited["search_facets"]["tags"]["items"]]
    assert counts == sorted(counts, reverse=True)
    assert search(ckan, facet="false", **{"facet.field": ["tags"]})["facets"] == {}


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("name asc", lambda p: p["name"], False),
        ("id desc", lambda p: p["id"], True),
        ("metadata_modified desc", lambda p: p["metadata_modified"], True),
        ("title_string asc", lambda p: title_sort_key(p["title"]), False),
    ],
)
def test_sort_orders_the_results(ckan: ckanapi.RemoteCKAN, sort: str, key: Any, descending: bool) -> None:
    found = search(ckan, sort=sort, rows=50)
    assert found["sort"] == sort and len(found["results"]) == 50
    assert [key(p) for p in found["results"]] == sorted(map(key, found["results"]), reverse=descending)


def test_relevance_puts_title_matches_first(ckan: ckanapi.RemoteCKAN) -> None:
    found = search(ckan, q="公交", sort="score desc, metadata_modified desc", rows=5)
    assert "公交" in found["results"][0]["title"]


def test_a_sort_solr_would_refuse_is_a_search_query_error(ckan: ckanapi.RemoteCKAN) -> None:
    for sort in ("title asc", "name", "name upwards", "popularity desc"):
        with pytest.raises(ckanapi.SearchQueryError):
            search(ckan, sort=sort)


# --- package_show, package_list -------------------------------------------------------------------
@pytest.mark.both_backends
def test_package_show_by_id_and_by_name(ckan: ckanapi.RemoteCKAN) -> None:
    product = ckan.action.package_show(id="bus-realtime-arrival-api")
    assert product["id"] == product["name"] == "bus-realtime-arrival-api"
    dataset = ckan.action.package_show(id="HA-JTJ-001")
    assert (dataset["id"], dataset["name"]) == ("HA-JTJ-001", "ha_jtj_001")
    assert ckan.action.package_show(id="ha_jtj_001") == dataset


def test_a_product_package_maps_the_listing(ckan: ckanapi.RemoteCKAN) -> None:
    p = ckan.action.package_show(id="bus-realtime-arrival-api")
    assert p["type"] == "dataset" and p["state"] == "active" and p["private"] is False
    assert p["url"].endswith("/products/bus-realtime-arrival-api") and p["title"] and p["notes"]
    assert p["license_id"] and p["license_title"] and p["license_url"].startswith("http")
    assert p["organization"]["is_organization"] is True and p["organization"]["type"] == "organization"
    assert p["owner_org"] == p["organization"]["id"] and p["organization"]["created"]
    assert "公交" in {t["name"] for t in p["tags"]} and p["num_tags"] == len(p["tags"])
    assert "transport" in {g["name"] for g in p["groups"]}
    assert p["num_resources"] == len(p["resources"]) >= 1
    assert {"id", "name", "url", "format", "description"} <= set(p["resources"][0])
    extras = {e["key"]: e["value"] for e in p["extras"]}
    assert extras["kind"] == "product" and extras["listing_no"].startswith("HADP-")
    assert {"product_type", "price_model", "security_grade", "source_type", "update_frequency"} <= set(extras)
    assert all(isinstance(value, str) for value in extras.values())
    assert p["metadata_created"] <= p["metadata_modified"]


def test_a_dataset_package_has_a_resource_per_format(ckan: ckanapi.RemoteCKAN) -> None:
    d = ckan.action.package_show(id="HA-JTJ-001")
    assert d["license_id"] == "hadp-standard" and d["isopen"] is False  # the authorized-operation agreement
    assert [r["format"] for r in d["resources"]] == ["CSV", "JSON", "API"]
    extras = {e["key"]: e["value"] for e in d["extras"]}
    assert (
        extras["kind"] == "dataset"
        and extras["sharing_condition"]
        and extras["resource_code"] == "HA-JTJ-001"
    )


def test_unknown_and_unlisted_packages_are_not_found(ckan: ckanapi.RemoteCKAN) -> None:
    for ident in ("no-such-product", "green-factory-env-credit-screening", "HA-STHJJ-201"):  # 2: in publicity
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=ident)
    with pytest.raises(ckanapi.ValidationError) as missing:
        ckan.action.package_show()
    assert missing.value.error_dict["id"] == ["Missing value"]


def test_package_list_holds_the_listed_items_in_name_order(
    ckan: ckanapi.RemoteCKAN, listed: set[str]
) -> None:
    every = ckan.action.package_list()
    assert every == sorted(listed)
    assert ckan.action.package_list(limit=10, offset=5) == every[5:15]


# --- organizations, groups, licences, status ------------------------------------------------------
def test_organization_list_names_and_all_fields(ckan: ckanapi.RemoteCKAN) -> None:
    plain = ckan.action.organization_list()
    assert "jtj" in plain and len(plain) == len(set(plain))
    dicts = ckan.action.organization_list(all_fields=True, limit=1000)
    assert len(dicts) == 25  # CKAN's cap on all_fields lists …
    paged = dicts + ckan.action.organization_list(all_fields=True, offset=25)
    assert [o["name"] for o in paged] == plain  # … which offset pages through
    jtj = next(o for o in paged if o["name"] == "jtj")
    assert jtj["package_count"] == search(ckan, fq="organization:jtj", rows=0)["count"]
    assert jtj["type"] == "organization" and jtj["is_organization"] is True and jtj["state"] == "active"
    by_count = ckan.action.organization_list(all_fields=True, sort="package_count desc")
    assert [o["package_count"] for o in by_count] == sorted(
        (o["package_count"] for o in paged), reverse=True
    )[:25]


def test_organization_show_with_its_datasets(ckan: ckanapi.RemoteCKAN) -> None:
    org = ckan.action.organization_show(id="jtj", include_datasets=True)
    assert org["name"] == "jtj" and org["title"] and org["created"]
    assert len(org["packages"]) == org["package_count"] > 0
    assert {p["owner_org"] for p in org["packages"]} == {"jtj"}
    assert "packages" not in ckan.action.organization_show(id="jtj")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="no-such-organization")


def test_group_list_gives_the_sectors(ckan: ckanapi.RemoteCKAN, served: tuple[str, Settings]) -> None:
    engine = db.make_engine(served[1].database_url)
    with Session(engine) as session:
        slugs = set(session.exec(select(Sector.slug)).all())
    engine.dispose()
    assert set(ckan.action.group_list()) == slugs
    groups = ckan.action.group_list(all_fields=True, sort="name asc")
    assert [g["name"] for g in groups] == sorted(slugs)
    assert all(g["type"] == "group" and g["is_organization"] is False for g in groups)


def test_license_list_has_every_licence_with_string_values(
    ckan: ckanapi.RemoteCKAN, served: tuple[str, Settings]
) -> None:
    engine = db.make_engine(served[1].database_url)
    with Session(engine) as session:
        codes = set(session.exec(select(Licence.code)).all())
    engine.dispose()
    found = ckan.action.license_list()
    assert {lic["id"] for lic in found} == codes
    keys = {"id", "title", "url", "family", "status", "maintainer", "domain_content", "domain_data"}
    assert all(keys <= set(lic) and all(isinstance(v, str) for v in lic.values()) for lic in found)
    assert next(lic for lic in found if lic["id"] == "cc-by-4.0")["od_conformance"] == "approved"


def test_status_show_describes_the_site(ckan: ckanapi.RemoteCKAN) -> None:
    status = ckan.action.status_show()
    assert status["site_title"] == "淮安市数据港" and status["ckan_version"].startswith("2.")
    assert {"site_description", "site_url", "locale_default", "extensions", "error_emails_to"} <= set(status)


# --- the door: prefixes, methods, envelopes -------------------------------------------------------
@pytest.mark.parametrize("prefix", ["/api/action", "/api/3/action"])
def test_both_prefixes_answer_get_and_post_alike(url: str, prefix: str) -> None:
    got = requests.get(f"{url}{prefix}/package_search", params={"q": "公交", "rows": 3}, timeout=30)
    posted = requests.post(f"{url}{prefix}/package_search", json={"q": "公交", "rows": 3}, timeout=30)
    assert got.status_code == posted.status_code == 200
    assert got.json() == posted.json()
    body = got.json()
    assert list(body) == ["help", "success", "result"] and body["success"] is True
    assert body["help"].endswith("/api/3/action/help_show?name=package_search")


def test_ckanapi_get_only_client_works(url: str) -> None:
    with ckanapi.RemoteCKAN(url, get_only=True) as remote:
        found = remote.action.package_search(q="公交", fq="groups:transport", rows=5)
        assert found["count"] > 0 and len(found["results"]) <= 5
        assert remote.action.package_show(id="ha_jtj_001")["id"] == "HA-JTJ-001"


def error(url: str, name: str, *, method: str = "GET", **kwargs: Any) -> tuple[int, Any]:
    response = requests.request(method, f"{url}/api/3/action/{name}", timeout=30, **kwargs)
    return response.status_code, response.json()


def test_an_unknown_action_is_a_bad_request(url: str) -> None:
    assert error(url, "package_create") == (400, "Bad request - Action name not known: package_create")


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"rows": "ten"}, "rows", "Invalid integer"),
        ({"rows": "-1"}, "rows", "Must be a natural number"),
        ({"start": "1.5"}, "start", "Invalid integer"),
        ({"start": "-3"}, "start", "Must be a natural number"),
        ({"facet.limit": "many"}, "facet.limit", "Invalid integer"),
    ],
)
def test_bad_paging_is_a_validation_error(url: str, params: dict, field: str, message: str) -> None:
    status, body = error(url, "package_search", params=params)
    assert status == 409 and body["success"] is False
    assert body["error"] == {field: [message], "__type": "Validation Error"}


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "score"},
        {"sort": "relevance desc"},
        {"fq": "title:公交"},
        {"fq": "organization:jtj AND"},
        {"fq": "groups:(transport"},
        {"fq": "metadata_modified:[yesterday TO *]"},
        {"facet.field": '["price"]'},
        {"fq": "(" * 100 + "tags:公交" + ")" * 100},
        {"limit": "5"},  # package_search pages with rows: CKAN names the parameter it does not know
    ],
)
def test_an_unreadable_query_is_a_search_query_error(url: str, params: dict) -> None:
    status, body = error(url, "package_search", params=params)
    assert status == 400 and body["success"] is False
    assert body["error"]["__type"] == "Search Query Error"
    assert body["error"]["message"].startswith("Search Query is invalid: ")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_bad_request(url: str, body: bytes) -> None:
    status, answer = error(
        url, "package_search", method="POST", data=body, headers={"Content-Type": "application/json"}
    )
    assert status == 400 and answer.startswith("Bad request - JSON Error: ")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"id": "bus\\u0000od"}', "application/json"),
        (b'{"q": "\\u0000", "fq": "tags:\\u0000"}', "application/json"),
        (b"id=bus%00od", "application/x-www-form-urlencoded"),
    ],
)
def test_a_nul_character_in_a_post_is_a_bad_request(url: str, body: bytes, content_type: str) -> None:
    """PostgreSQL cannot hold or compare text with U+0000: it is refused before any query."""
    for name in ("package_show", "package_search", "organization_show"):
        status, answer = error(url, name, method="POST", data=body, headers={"Content-Type": content_type})
        assert status == 400 and answer.startswith("Bad request - ") and "NUL" in answer, name


def test_not_found_has_the_ckan_envelope(url: str) -> None:
    status, body = error(url, "package_show", params={"id": "no-such-thing"})
    assert status == 404 and body["success"] is False
    assert body["error"]["__type"] == "Not Found Error" and body["error"]["message"].startswith("Not found")
    assert body["help"].endswith("/api/3/action/help_show?name=package_show")


def test_help_show_describes_an_action(ckan: ckanapi.RemoteCKAN) -> None:
    assert "fq" in ckan.action.help_show(name="package_search")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.help_show(name="package_create")


def test_a_post_carrying_cookies_is_answered(url: str) -> None:
    """Harvesters behind proxies send cookies; the actions only read, so no CSRF token is asked for."""
    answer = requests.post(
        f"{url}/api/3/action/package_search",
        json={"q": "公交", "rows": 1},
        cookies={"csrftoken": "from-a-proxy", "route": "sticky-1"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["success"] is True
