"""Pages in chromium: the English switch, a form used with the keyboard only, and the page checks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN
from tests.browser.journey import Journey


def test_english_switch_shows_the_home_page_and_search_in_english(journey: Journey) -> None:
    page = journey.open("visitor")
    page.goto("/")
    journey.step(page, "home-chinese")
    page.get_by_role("navigation", name="语言").get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"\?lang=en$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Huai'an Data Port")
    expect(page.get_by_role("heading", name="Progress toward the 2027 targets")).to_be_visible()
    journey.step(page, "home-english", narrow=True, lang="en")

    page.get_by_label("What data do you need?").fill("bus ridership")
    page.get_by_role("main").get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the catalog")
    products = page.get_by_role("region", name=re.compile("^Data products"))
    expect(products.get_by_role("link", name="Huai'an bus ridership OD and transfer dataset")).to_be_visible()
    journey.step(page, "search-english", narrow=True, lang="en")  # the choice is kept in a cookie


def test_keyboard_reaches_the_skip_link_first_and_signs_in_with_enter(journey: Journey) -> None:
    page = journey.open("admin")
    page.goto("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳转到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown when focused, not only to screen readers
    journey.step(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    page.keyboard.press("Tab")
    email = page.get_by_label("电子邮箱")
    expect(email).to_be_focused()  # the form's first field comes right after the skip
    page.keyboard.type(ADMIN.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.type(ADMIN.password)
    journey.step(page, "form-filled-by-keyboard", narrow=True)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的账号")
    journey.step(page, "signed-in")


def test_page_checks_catch_a_console_error_and_sideways_scrolling(journey: Journey) -> None:
    """The checks every step runs are not empty: a logged error and a too-wide element fail them."""
    page = journey.open("visitor")
    page.goto("/")
    page.evaluate("() => console.error('broken on purpose')")
    with pytest.raises(AssertionError, match="broken on purpose"):
        journey.step(page, "console-error-caught")
    page.evaluate("() => { document.querySelector('main').style.minWidth = '600px'; }")
    with pytest.raises(AssertionError, match="scrolls sideways at 375 px"):
        journey.check_narrow(page, "too-wide-caught")


def test_the_national_rules_pages_read_on_a_phone(journey: Journey) -> None:
    """The authorizations, a registration's verification page and certificate, and a year's disclosure:
    public, in Chinese, without console errors, readable at 375 px."""
    page = journey.open("visitor")
    page.goto("/authorizations")
    expect(page.get_by_role("heading", level=1)).to_have_text("公共数据资源授权运营信息")
    journey.step(page, "authorizations", narrow=True)
    page.get_by_label("状态").select_option(label="已到期")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name="HADP-SQ-2025-013").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("授权 HADP-SQ-2025-013")
    journey.step(page, "authorization-expired", narrow=True)

    page.goto("/products/river-lake-daily-level-open-data")
    registration = page.get_by_role("region", name="登记信息")
    registration.get_by_role("link", name=re.compile("^HADP-DJ-")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("登记 HADP-DJ-")
    expect(page.get_by_role("main")).to_contain_text("登记内容与存证指纹一致")
    journey.step(page, "registration-verified", narrow=True)
    page.get_by_role("link", name="登记证书").first.click()
    expect(page.get_by_role("img", name="核验地址二维码")).to_be_visible()
    journey.step(page, "registration-certificate", narrow=True)

    page.goto("/disclosure")
    page.get_by_role("link", name="2025", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2025 年度公共数据资源授权运营信息公开")
    journey.step(page, "disclosure-2025", narrow=True)
