"""Exports: every product and dataset in every state, one row each, as CSV and XLSX, from the CLI and
the admin pages; the figures agree with the database and with /api/v1/stats."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.app import create_app
from catalog.cli import main
from catalog.datasets.models import Dataset
from catalog.products.models import DataProduct
from catalog.settings import Settings
from tests.conftest import catalog_env
from tests.factories import ADMIN, bearer


@pytest.mark.both_backends
def test_the_cli_exports_every_item_and_the_figures(seeded_settings: Settings, tmp_path: Path) -> None:
    env = catalog_env(seeded_settings)
    runner = CliRunner()
    engine = db.make_engine(seeded_settings.database_url)
    with Session(engine) as session:
        products = session.exec(select(func.count()).select_from(DataProduct)).one()
        datasets = session.exec(select(func.count()).select_from(Dataset)).one()
        drafts = session.exec(
            select(func.count()).select_from(DataProduct).where(DataProduct.status == "draft")
        ).one()
        listed = session.exec(
            select(func.count()).select_from(DataProduct).where(DataProduct.status == "listed")
        ).one()
    out = tmp_path / "products.csv"
    assert runner.invoke(main, ["export", "products", "--output", str(out)], env=env).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == products and sum(r["status"] == "draft" for r in rows) == drafts > 0
    assert all(r["listing_no"].startswith("HADP-") for r in rows if r["status"] == "listed")
    xlsx = tmp_path / "datasets.xlsx"
    assert (
        runner.invoke(
            main, ["export", "datasets", "--format", "xlsx", "--output", str(xlsx)], env=env
        ).exit_code
        == 0
    )
    book = load_workbook(xlsx, read_only=True)
    assert sum(1 for _ in book.worksheets[0].iter_rows()) == datasets + 1  # and the header
    book.close()  # a read-only workbook keeps its file open until closed
    figures = tmp_path / "stats.csv"
    assert runner.invoke(main, ["export", "stats", "--output", str(figures)], env=env).exit_code == 0
    values = dict(csv.reader(io.StringIO(figures.read_bytes().decode("utf-8-sig"))))
    assert int(values["products.listed"]) == listed and int(values["products.target"]) == 300
    assert runner.invoke(main, ["export", "everything", "--output", str(figures)], env=env).exit_code != 0


def test_exports_are_for_administrators(seeded_settings: Settings) -> None:
    engine = db.make_engine(seeded_settings.database_url)
    read = bearer(engine, ADMIN, scope="read")
    with TestClient(create_app(seeded_settings)) as client:
        assert client.get("/admin/export/products.csv", follow_redirects=False).status_code == 303
        answer = client.get("/admin/export/products.xlsx", headers=read)
        assert answer.status_code == 200 and answer.headers["content-disposition"].startswith("attachment")
        book = load_workbook(io.BytesIO(answer.content), read_only=True)
        assert sum(1 for _ in book.worksheets[0].iter_rows()) > 100  # every product, in every state
        book.close()
        stats = client.get("/api/v1/stats").json()
        figures = client.get("/admin/export/stats.csv", headers=read).content
        values = dict(csv.reader(io.StringIO(figures.decode("utf-8-sig"))))
        assert int(values["products.listed"]) == stats["products"]["listed"]
        assert int(values["datasets.listed"]) == stats["datasets"]["listed"]
        assert client.get("/admin/export/secrets.csv", headers=read).status_code == 404
