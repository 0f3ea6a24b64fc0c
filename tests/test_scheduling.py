"""How the README's test command spreads the suite over its workers (``tests/conftest.py``)."""

from tests.conftest import BrowserTogether


def test_the_browser_tests_are_one_unit_of_work_and_the_others_one_each() -> None:
    scheduler = BrowserTogether.__new__(BrowserTogether)  # its scopes need no state
    browser = {
        scheduler._split_scope("tests/browser/test_journeys.py::test_owner_answers_the_request"),
        scheduler._split_scope("tests/browser/test_pages.py::test_keyboard_reaches_the_skip_link"),
    }
    assert len(browser) == 1
    others = {
        scheduler._split_scope("tests/unit/catalog/test_db.py::test_a[sqlite]"),
        scheduler._split_scope("tests/unit/catalog/test_db.py::test_b[sqlite]"),
        scheduler._split_scope("tests/functional/interop/test_ckan.py::test_c"),
    }
    assert len(others) == 3 and not others & browser
