"""Quality assessments of datasets on the six dimensions of GB/T 36344-2018 (数据质量评价指标), and what
counts as a high-quality dataset: the city's "50 high-quality datasets" target counts a listed dataset
whose latest assessment passes, nothing else.

A grade comes from the six scores (each out of 100): A, a mean of 90 or more with no dimension under
80; B, 80 and 70; C, a mean of 60 or more; D below. A and B pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.audit import services as audit
from catalog.datasets.models import AssessmentCreate, AssessmentPublic, Dataset, DatasetAssessment
from catalog.errors import NotFound
from catalog.i18n import N_
from catalog.listings.states import listed_sql
from catalog.models_base import saved_id
from catalog.permissions import Actor, can_review, require, require_write

# GB/T 36344-2018's dimensions, in its order: field name -> (Chinese, English)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "conformity": ("规范性", "Conformity"),
    "completeness": ("完整性", "Completeness"),
    "accuracy": ("准确性", "Accuracy"),
    "consistency": ("一致性", "Consistency"),
    "timeliness": ("时效性", "Timeliness"),
    "accessibility": ("可访问性", "Accessibility"),
}
PASSING = ("A", "B")
COUNTS = "listed datasets whose latest GB/T 36344 quality assessment is graded A or B"  # the figures say so
# grade: (lowest mean, lowest single dimension)
GRADES = (("A", 90, 80), ("B", 80, 70), ("C", 60, 0))


def grade_of(scores: Sequence[int]) -> str:
    """The grade of six scores."""
    mean = sum(scores) / len(scores)
    for grade, lowest_mean, lowest_one in GRADES:
        if mean >= lowest_mean and min(scores) >= lowest_one:
            return grade
    return "D"


def _scores(row: DatasetAssessment | AssessmentCreate) -> dict[str, int]:
    return {name: int(getattr(row, name)) for name in DIMENSIONS}


def public(row: DatasetAssessment) -> AssessmentPublic:
    return AssessmentPublic(
        scores=_scores(row),
        grade=row.grade,
        passed=row.grade in PASSING,
        assessed_on=row.assessed_on,
        assessor=row.assessor,
        document=row.document,
        notes=row.notes,
    )


def _add(session: Session, dataset: Dataset, data: AssessmentCreate, recorded_by: str) -> DatasetAssessment:
    scores = _scores(data)
    row = DatasetAssessment.model_validate(
        {
            "dataset_id": saved_id(dataset),
            **scores,
            "grade": grade_of(list(scores.values())),
            "assessed_on": data.assessed_on,
            "assessor": data.assessor.strip(),
            "document": data.document.strip(),
            "notes": data.notes.strip(),
            "recorded_by": recorded_by,
        }
    )
    session.add(row)
    session.flush()
    return row


def record_assessment(session: Session, actor: Actor, code: str, data: AssessmentCreate) -> AssessmentPublic:
    """A reviewer records an assessment of a dataset (audited); the grade follows from the scores."""
    require_write(actor)
    require(can_review(actor), actor, N_("Only reviewers record quality assessments."))
    dataset = session.exec(select(Dataset).where(Dataset.code == code)).first()
    if dataset is None:
        raise NotFound(f"no dataset {code!r}")
    row = _add(session, dataset, data, actor.label)
    audit.record(
        session,
        actor,
        "dataset.assessment",
        "dataset",
        code,
        f"quality assessment {row.assessed_on}: grade {row.grade}",
        after={"grade": row.grade, "assessed_on": row.assessed_on.isoformat(), **_scores(row)},
    )
    return public(row)


def import_assessment(session: Session, data: AssessmentCreate) -> bool:
    """The seed's assessment of ``data.dataset``, unless that dataset has one of that date; True when
    added."""
    dataset = session.exec(select(Dataset).where(Dataset.code == data.dataset)).first()
    if dataset is None:
        raise NotFound(f"no dataset {data.dataset!r}")
    exists = session.exec(
        select(DatasetAssessment.id).where(
            DatasetAssessment.dataset_id == dataset.id, DatasetAssessment.assessed_on == data.assessed_on
        )
    ).first()
    if exists is not None:
        return False
    _add(session, dataset, data, "seed")
    return True


def _latest_ids() -> Any:
    """The id of each dataset's latest assessment (the one recorded last)."""
    return select(func.max(DatasetAssessment.id)).group_by(col(DatasetAssessment.dataset_id))


def latest(session: Session, dataset_ids: Sequence[int | None]) -> dict[int, AssessmentPublic]:
    """Each dataset's latest assessment, by the dataset's id."""
    rows = session.exec(
        select(DatasetAssessment).where(
            col(DatasetAssessment.dataset_id).in_(dataset_ids), col(DatasetAssessment.id).in_(_latest_ids())
        )
    )
    return {row.dataset_id: public(row) for row in rows}


def high_quality_dates(session: Session) -> list[dt.date]:
    """For each high-quality dataset (listed, its latest assessment passing), the date it was assessed,
    sorted: what the datasets target counts, month by month."""
    rows = session.exec(
        select(col(DatasetAssessment.assessed_on))
        .join(Dataset, col(Dataset.id) == DatasetAssessment.dataset_id)
        .where(
            listed_sql(Dataset),
            col(DatasetAssessment.id).in_(_latest_ids()),
            col(DatasetAssessment.grade).in_(PASSING),
        )
    )
    return sorted(rows)
