import datetime as dt
from pathlib import Path

import pytest

from catalog.settings import Settings, SettingsError


def test_defaults_run_on_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"CATALOG_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    assert settings.index_dir == tmp_path / "index"
    assert settings.uploads_dir == tmp_path / "uploads"
    assert (settings.target_products, settings.target_datasets) == (300, 50)
    assert settings.target_deadline == dt.date(2027, 12, 31)


def test_the_uploads_directory_can_be_shared_outside_the_data_dir(tmp_path: Path) -> None:
    node = tmp_path / "node"
    settings = Settings.from_env({"CATALOG_DATA_DIR": str(node), "CATALOG_UPLOADS_DIR": "shared"})
    assert settings.uploads_dir == Path("shared").resolve() and settings.index_dir == node / "index"


def test_generated_secret_key_is_kept_between_starts(tmp_path: Path) -> None:
    first = Settings.from_env({"CATALOG_DATA_DIR": str(tmp_path)}).secret_key
    second = Settings.from_env({"CATALOG_DATA_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "CATALOG_DATA_DIR": str(tmp_path),
            "CATALOG_SECRET_KEY": "k" * 40,
            "CATALOG_TARGET_PRODUCTS": "320",
            "CATALOG_TARGET_DEADLINE": "2027-06-30",
            "CATALOG_DATABASE_URL": "sqlite:////tmp/other.sqlite3",
        }
    )
    assert settings.secret_key == "k" * 40
    assert settings.target_products == 320
    assert settings.target_deadline == dt.date(2027, 6, 30)
    assert settings.database_url == "sqlite:////tmp/other.sqlite3"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CATALOG_TARGET_PRODUCTS", "many"),
        ("CATALOG_TARGET_DATASETS", "0"),
        ("CATALOG_TARGET_DEADLINE", "soon"),
        ("CATALOG_DEFAULT_LANGUAGE", "fr"),
    ],
)
def test_invalid_setting_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"CATALOG_DATA_DIR": str(tmp_path), "CATALOG_SECRET_KEY": "x", name: value})
