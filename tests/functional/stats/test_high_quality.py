"""The "50 high-quality datasets" target counts datasets that pass a quality assessment on the six
dimensions of GB/T 36344 (``datasets/assessments.py``): the grade rule, the seed's honest shortfall,
a reviewer's assessment moving the count on the stats API, the home page and the dataset's page, and
the refusals. Each test has its own copy of the seeded catalog."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog.datasets.assessments import grade_of
from catalog.datasets.models import Dataset, DatasetAssessment
from tests.factories import OWNER, REVIEWER, bearer, count_high_quality, csrf, signed_in


@pytest.mark.parametrize(
    ("scores", "grade"),
    [
        ([90, 90, 90, 90, 90, 90], "A"),
        ([99, 99, 99, 99, 99, 79], "B"),  # a mean of 95, but one dimension under 80
        ([80, 80, 80, 80, 80, 80], "B"),
        ([95, 95, 95, 95, 95, 69], "C"),  # one dimension under 70: not high quality
        ([60, 60, 60, 60, 60, 60], "C"),
        ([59, 60, 60, 60, 60, 60], "D"),
    ],
)
def test_the_grade_follows_from_the_six_scores(scores: list[int], grade: str) -> None:
    assert grade_of(scores) == grade


def _high_quality(seeded_engine: Engine) -> int:
    with Session(seeded_engine) as session:
        return count_high_quality(session)


def _unassessed_listed(seeded_engine: Engine) -> str:
    with Session(seeded_engine) as session:
        assessed = select(DatasetAssessment.dataset_id)
        return session.exec(
            select(Dataset.code)
            .where(Dataset.status == "listed", col(Dataset.id).not_in(assessed))
            .order_by(col(Dataset.code))
        ).first()  # type: ignore[return-value]


SCORES = {"conformity": 92, "completeness": 90, "accuracy": 91, "consistency": 93, "timeliness": 90}


def test_the_seed_counts_assessed_datasets_and_leaves_the_target_unmet(
    web: TestClient, seeded_engine: Engine
) -> None:
    figures = web.get("/api/v1/stats").json()["datasets"]
    assert figures["counted"] == figures["high_quality"] == _high_quality(seeded_engine) == 46
    assert figures["listed"] == 56 and figures["target"] == 50  # listed alone would have met it
    assert figures["remaining"] == 4 and "GB/T 36344" in figures["counts"]
    assert sum(row["listed"] for row in web.get("/api/v1/stats").json()["trend"]["datasets"]) == 46
    home = web.get("/")
    assert "GB/T 36344" in home.text and "56" in home.text
    failed = web.get("/api/v1/datasets").json()  # a listed dataset whose assessment failed, in its JSON
    graded = [web.get(f"/api/v1/datasets/{d['id']}").json()["assessment"] for d in failed["items"]]
    assert all(a is None or a["passed"] == (a["grade"] in ("A", "B")) for a in graded)


def test_a_reviewers_assessment_moves_the_count(web: TestClient, seeded_engine: Engine) -> None:
    code = _unassessed_listed(seeded_engine)
    reviewer, owner = bearer(seeded_engine, REVIEWER), bearer(seeded_engine, OWNER)
    before = web.get("/api/v1/stats").json()["datasets"]["counted"]
    body = {**SCORES, "accessibility": 88, "assessed_on": "2026-12-01", "assessor": "江苏省标准化研究院"}
    refused = web.post(f"/api/v1/datasets/{code}/assessments", json=body, headers=owner)
    assert refused.status_code == 403
    bad = web.post(f"/api/v1/datasets/{code}/assessments", json={**body, "timeliness": 101}, headers=reviewer)
    assert bad.status_code == 422 and "timeliness" in bad.json()["error"]["fields"]
    missing = web.post("/api/v1/datasets/HA-NONE-1/assessments", json=body, headers=reviewer)
    assert missing.status_code == 404
    assert web.get("/api/v1/stats").json()["datasets"]["counted"] == before  # nothing written

    made = web.post(f"/api/v1/datasets/{code}/assessments", json=body, headers=reviewer)
    assert made.status_code == 201 and (made.json()["grade"], made.json()["passed"]) == ("A", True)
    assert web.get("/api/v1/stats").json()["datasets"]["counted"] == before + 1
    assert web.get(f"/api/v1/datasets/{code}").json()["assessment"]["scores"]["accessibility"] == 88
    # a later assessment that fails takes it out again
    worse = {**body, "timeliness": 55, "assessed_on": "2026-12-05", "notes": "更新滞后"}
    assert (
        web.post(f"/api/v1/datasets/{code}/assessments", json=worse, headers=reviewer).json()["grade"] == "C"
    )
    assert web.get("/api/v1/stats").json()["datasets"]["counted"] == before == _high_quality(seeded_engine)


def test_the_dataset_page_shows_the_assessment_and_takes_a_reviewers(
    web: TestClient, seeded_engine: Engine
) -> None:
    code = _unassessed_listed(seeded_engine)
    anyone = web.get(f"/datasets/{code}")
    assert "尚未评估" in anyone.text and f"/datasets/{code}/assessment" not in anyone.text
    reviewer = signed_in(web, REVIEWER)
    page = reviewer.get(f"/datasets/{code}")
    assert f"/datasets/{code}/assessment" in page.text
    token = csrf(reviewer, f"/datasets/{code}")
    incomplete = reviewer.post(f"/datasets/{code}/assessment", data={"csrftoken": token, "conformity": "90"})
    assert incomplete.status_code == 422 and 'id="f-timeliness-error"' in incomplete.text
    form = {"csrftoken": token, **{k: str(v) for k, v in SCORES.items()}, "accessibility": "70"}
    done = reviewer.post(
        f"/datasets/{code}/assessment",
        data={**form, "assessed_on": "2026-12-02", "assessor": "淮安市数据资源服务中心"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = web.get(f"/datasets/{code}")
    assert "B 级" in shown.text and "淮安市数据资源服务中心" in shown.text
