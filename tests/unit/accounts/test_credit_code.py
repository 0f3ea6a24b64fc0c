import pytest

from catalog.accounts import credit_code
from catalog.seeding import read_yaml
from tests.conftest import SEED_DIR


def test_published_example_code_is_valid() -> None:
    assert credit_code.is_valid("91350100M000100Y43")


@pytest.mark.parametrize(
    "code", ["91350100M000100Y44", "91350100M000100Y4", "9135010OM000100Y43", "", "x" * 18]
)
def test_wrong_check_character_or_shape_is_invalid(code: str) -> None:
    assert not credit_code.is_valid(code)


def test_make_builds_codes_that_validate() -> None:
    code = credit_code.make("91", "320812", "MA1XK2P3")
    assert len(code) == 18 and credit_code.is_valid(code)


def test_every_seed_organization_has_a_valid_code() -> None:
    organizations = read_yaml(SEED_DIR / "organizations.yaml")
    assert organizations
    assert all(credit_code.is_valid(o["code"]) for o in organizations)
