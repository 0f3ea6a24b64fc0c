"""The listing workflow through the pages: the owner's form and workspace, the reviewers' queue and
checklist, with the draft invisible to others until it is public."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from catalog.listings.workflow import CHECKLIST
from catalog.products import forms
from catalog.products import services as products
from catalog.settings import Settings
from tests.conftest import make_settings
from tests.factories import OWNER, PLAIN, REVIEWER, csrf, listed_product, signed_in

SLUG = "huaian-port-berth-efficiency"


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="0")  # listed on approval


@pytest.fixture
def people(web: TestClient, seeded_engine: Engine) -> dict[str, object]:
    with Session(seeded_engine) as session:
        values = forms.FORM.to_form(products.product_input(session, listed_product(session)))
    values.update(slug=SLUG, title="淮安港泊位作业效率指数", title_en="Huai'an port berth efficiency index")
    return {
        "values": values,
        "owner": signed_in(web, OWNER),
        "reviewer": signed_in(web, REVIEWER),
    }


def post(client: TestClient, path: str, pairs: list[tuple[str, str]], **kwargs: object) -> object:
    """A form with repeated fields (multiple selects), posted as a browser does."""
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return client.post(path, content=urlencode(pairs), headers=headers, **kwargs)  # type: ignore[arg-type]


def form_body(values: dict[str, object], token: str) -> list[tuple[str, str]]:
    body = [("csrftoken", token)]
    for name, value in values.items():
        if isinstance(value, list):
            body += [(name, v) for v in value]
        elif isinstance(value, bool):
            if value:
                body.append((name, "1"))
        else:
            body.append((name, str(value)))
    return body


@pytest.mark.both_backends
def test_an_owner_lists_a_product_through_the_pages(web: TestClient, people: dict) -> None:
    owner, reviewer = people["owner"], people["reviewer"]
    token = csrf(owner, "/owner/products/new")
    # an invalid form comes back with the owner's values and a message on the field
    bad = post(owner, "/owner/products/new", form_body({**people["values"], "title": ""}, token))
    assert bad.status_code == 422 and 'id="f-title-error"' in bad.text and SLUG in bad.text
    made = post(owner, "/owner/products/new", form_body(people["values"], token), follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == f"/owner/products/{SLUG}"
    assert "淮安港泊位作业效率指数" in owner.get("/owner").text
    assert web.get(f"/products/{SLUG}").status_code == 404  # a draft: not public
    assert signed_in(web, PLAIN).get(f"/products/{SLUG}").status_code == 404

    page = f"/owner/products/{SLUG}"
    submit = owner.post(
        f"{page}/transition", data={"csrftoken": csrf(owner, page), "to": "submitted"}, follow_redirects=False
    )
    assert submit.status_code == 303
    assert "淮安港泊位作业效率指数" in reviewer.get("/review").text

    review = f"/review/products/{SLUG}"
    reviewer.post(f"{review}/transition", data={"csrftoken": csrf(reviewer, review), "to": "in_review"})
    refused = reviewer.post(
        f"{review}/transition",
        data={"csrftoken": csrf(reviewer, review), "to": "publicity", "checklist": ["not_core_data"]},
    )
    assert refused.status_code == 422 and refused.text.count('class="field-error"') == len(CHECKLIST) - 1
    assert f'action="{review}/transition"' in refused.text  # the page shown again posts where it did
    pairs = [("csrftoken", csrf(reviewer, review)), ("to", "publicity")] + [
        ("checklist", c) for c in CHECKLIST
    ]
    approved = post(reviewer, f"{review}/transition", pairs, follow_redirects=False)
    assert approved.status_code == 303
    public = web.get(f"/products/{SLUG}")
    assert public.status_code == 200 and "HADP-" in public.text  # no publicity period here: listed at once
    found = web.get("/api/v1/search", params={"q": "泊位作业效率"}).json()["products"]["items"]
    assert [p["id"] for p in found] == [SLUG]


def test_the_queue_is_for_reviewers_and_the_workspace_for_members(web: TestClient, people: dict) -> None:
    visitor = signed_in(web, PLAIN)
    assert visitor.get("/review").status_code == 403
    assert "您尚未加入任何单位" in visitor.get("/owner").text
    assert web.get("/owner", follow_redirects=False).headers["location"].startswith("/login")
    assert visitor.get("/owner/products/new").status_code == 200  # the form, with no organization to choose


def test_a_listed_product_gets_a_new_version_through_the_pages(web: TestClient, people: dict) -> None:
    owner, reviewer = people["owner"], people["reviewer"]
    token = csrf(owner, "/owner/products/new")
    post(owner, "/owner/products/new", form_body(people["values"], token))
    page, review = f"/owner/products/{SLUG}", f"/review/products/{SLUG}"
    owner.post(f"{page}/transition", data={"csrftoken": csrf(owner, page), "to": "submitted"})
    reviewer.post(f"{review}/transition", data={"csrftoken": csrf(reviewer, review), "to": "in_review"})
    pairs = [("csrftoken", csrf(reviewer, review)), ("to", "publicity")] + [
        ("checklist", c) for c in CHECKLIST
    ]
    post(reviewer, f"{review}/transition", pairs)
    assert web.get(f"/api/v1/products/{SLUG}").json()["status"] == "listed"

    edit = f"/owner/products/{SLUG}/edit"
    form = owner.get(edit).text
    assert 'name="change_summary"' in form
    values = {**people["values"], "summary": "新增夜间作业泊位效率指标，按小时更新"}
    values.pop("slug"), values.pop("provider")
    missing = post(owner, edit, form_body(values, csrf(owner, edit)))
    assert missing.status_code == 422 and 'id="f-change_summary-error"' in missing.text
    saved = post(
        owner,
        edit,
        form_body({**values, "change_summary": "增加夜间作业指标"}, csrf(owner, edit)),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert (
        web.get(f"/api/v1/products/{SLUG}").json()["summary"] != values["summary"]
    )  # still the listed version
    owner.post(f"{page}/version", data={"csrftoken": csrf(owner, page), "to": "submitted"})
    assert "增加夜间作业指标" in reviewer.get("/review").text
    system_only = [("csrftoken", csrf(reviewer, review)), ("to", "withdrawn")]  # the delisting's step
    refused = post(reviewer, f"{review}/version", system_only)
    assert refused.status_code == 422 and "此步骤已不可用" in refused.text
    pairs = [("csrftoken", csrf(reviewer, review)), ("to", "approved")] + [
        ("checklist", c) for c in CHECKLIST
    ]
    assert post(reviewer, f"{review}/version", pairs, follow_redirects=False).status_code == 303
    public = web.get(f"/products/{SLUG}").text
    assert (
        "新增夜间作业泊位效率指标" in public and "增加夜间作业指标" in public
    )  # the new version and its history


def test_a_sample_uploaded_on_the_edit_page_shows_on_the_product_page(web: TestClient, people: dict) -> None:
    owner = people["owner"]
    token = csrf(owner, "/owner/products/new")
    post(owner, "/owner/products/new", form_body({**people["values"], "schema": ""}, token))
    edit = f"/owner/products/{SLUG}/edit"
    csv = "泊位编号,作业船次,平均在港小时\nB01,42,11.5\nB02,37,9.75\n".encode()
    bad = owner.post(
        f"/owner/products/{SLUG}/sample",
        data={"csrftoken": csrf(owner, edit)},
        files={"sample": ("x.exe", b"MZ")},
    )
    assert bad.status_code == 422 and 'id="f-sample-error"' in bad.text
    done = owner.post(
        f"/owner/products/{SLUG}/sample",
        data={"csrftoken": csrf(owner, edit)},
        files={"sample": ("berths.csv", csv)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = owner.get(f"/products/{SLUG}").text
    assert "berths.csv" in page and "B02" in page and "平均在港小时" in page
    assert (
        "平均在港小时" in owner.get(edit).text
    )  # the inferred schema is in the form for the owner to refine


def test_an_owner_drafts_a_dataset_through_the_form(web: TestClient, people: dict) -> None:
    owner = people["owner"]
    token = csrf(owner, "/owner/datasets/new")
    values = {
        "provider": people["values"]["provider"],  # the owner's organization, preselected in the form
        "code": "HA-PORT-077",
        "title": "淮安港集装箱吞吐量月度数据",
        "title_en": "Huai'an port container throughput, monthly",
        "description": "淮安港各作业区集装箱吞吐量，按月统计，单位标准箱。",
        "sectors": ["transport"],
        "security_grade": "general",
        "sharing_condition": "conditional",
        "update_frequency": "monthly",
        "schema": "month | date | 统计月份\nteu | integer | 吞吐量 | 标准箱",
    }
    bad = post(owner, "/owner/datasets/new", form_body({**values, "schema": ""}, token))
    assert bad.status_code == 422 and 'id="f-schema-error"' in bad.text
    made = post(owner, "/owner/datasets/new", form_body(values, token), follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/owner/datasets/HA-PORT-077"
    page = owner.get("/owner/datasets/HA-PORT-077").text
    assert "淮安港集装箱吞吐量月度数据" in page and "/owner/datasets/HA-PORT-077/edit" in page
    edit = "/owner/datasets/HA-PORT-077/edit"
    assert "teu | integer | 吞吐量 | 标准箱" in owner.get(edit).text
    saved = post(
        owner,
        edit,
        form_body({**values, "spatial_coverage": "淮安港"}, csrf(owner, edit)),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert web.get("/datasets/HA-PORT-077").status_code == 404  # a draft
