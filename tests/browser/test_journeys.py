"""Three users in chromium against one real server, in order: an enterprise registers, finds a product
by a Chinese query, reads its terms and requests access; the product's owner lists a new product (a
reviewer puts it in publicity) and answers the request, which the enterprise then sees; an
administrator reads the targets dashboard, which counts all of it."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from typing import Any

import pytest
from playwright.sync_api import LocatorAssertions, Page, expect

from catalog.accounts.credit_code import make
from tests.browser.conftest import ADMIN, OWNER, REVIEWER, Server
from tests.browser.journey import Account, Journey

# The product the enterprise finds with 公交, and what its page says (seed/products/g2-transport-city.yaml).
PRODUCT = "淮安公交客流OD与换乘分析数据集"
PROVIDER = "淮安交控数智科技有限公司"
LICENCE = "淮安市数据港公共数据授权运营标准协议"
PERMITTED_PURPOSE = "仅限交通规划、线网优化和学术研究"
TERMS_EXCERPT = "第四条 禁止转售与再分发"

ENTERPRISE_NAME = "淮安市清河智行科技有限公司"
ENTERPRISE = Account("wangmin@qinghe-zhixing.example.cn", "qinghe-pass-2026")
ENTERPRISE_CODE = make("91", "320800", "MA7BRW42")
PURPOSE = "用于清江浦区公交线网优化研究，测算高峰时段换乘客流。"

NEW_PRODUCT = "淮安公交站点客流热力月报"
NEW_SLUG = "bus-stop-ridership-heat-monthly"


@pytest.fixture(scope="module")
def story() -> dict[str, Any]:
    """What one journey leaves for the next: the enterprise's request."""
    return {}


def sign_in(page: Page, account: Account) -> None:
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    page.get_by_label("电子邮箱").fill(account.email)
    page.get_by_label("密码").fill(account.password)
    page.get_by_role("main").get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的账号")


def heading(page: Page) -> LocatorAssertions:
    """What the page's one <h1> says."""
    return expect(page.get_by_role("heading", level=1))


def mailed_link(server: Server, address: str) -> str:
    """The path of the link in the last mail the served catalog queued for ``address``."""
    with contextlib.closing(sqlite3.connect(server.data_dir / "catalog.sqlite3")) as db:
        (body,) = db.execute(
            "SELECT body FROM outbox_mail WHERE `to` = ? ORDER BY id DESC LIMIT 1", (address,)
        ).fetchone()
    found = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert found, body
    return found.group(1)


def test_enterprise_finds_a_product_by_a_chinese_query_and_requests_access(
    journey: Journey, story: dict[str, Any], server: Server
) -> None:
    page = journey.open("enterprise")
    page.goto("/")
    heading(page).to_have_text("淮安市数据港")
    journey.step(page, "home", narrow=True)

    page.get_by_role("navigation", name="账号").get_by_role("link", name="注册").click()
    heading(page).to_have_text("企业注册")
    page.get_by_label("单位名称").fill(ENTERPRISE_NAME)
    wrong = ENTERPRISE_CODE[:-1] + ("1" if ENTERPRISE_CODE[-1] != "1" else "2")
    page.get_by_label("统一社会信用代码").fill(wrong)
    page.get_by_label("联系人").fill("王敏")
    page.get_by_label("联系电话").fill("0517-83660000")
    page.get_by_label("电子邮箱").fill(ENTERPRISE.email)
    page.get_by_label("密码").fill(ENTERPRISE.password)
    journey.step(page, "register", narrow=True)
    page.get_by_role("main").get_by_role("button", name="注册").click()
    expect(page.get_by_role("alert")).to_contain_text("请更正标出的字段")
    expect(page.get_by_label("统一社会信用代码")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("单位名称")).to_have_value(ENTERPRISE_NAME)  # kept, the password is not
    journey.step(page, "register-wrong-check-character", http_error=422)

    page.get_by_label("统一社会信用代码").fill(ENTERPRISE_CODE)
    page.get_by_label("密码").fill(ENTERPRISE.password)
    page.get_by_role("main").get_by_role("button", name="注册").click()
    expect(page.get_by_role("status")).to_contain_text(ENTERPRISE.email)  # look in the mailbox
    journey.step(page, "register-mail-sent")
    page.goto(mailed_link(server, ENTERPRISE.email))  # the link in the mail
    expect(page).to_have_url(re.compile(r"/account\?registered=1$"))
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(ENTERPRISE_NAME)
    journey.step(page, "registered")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="首页").click()
    page.get_by_label("您需要什么数据？").fill("公交")
    page.get_by_role("main").get_by_role("button", name="检索").click()
    heading(page).to_have_text("检索目录")
    expect(page.get_by_label("关键词（支持中文、英文或拼音）")).to_have_value("公交")
    products = page.get_by_role("region", name=re.compile("^数据产品"))
    found = products.get_by_role("link", name=PRODUCT)
    expect(found).to_be_visible()
    expect(found.locator("mark").first).to_have_text("公交")  # the matched word is highlighted
    journey.step(page, "search-results", narrow=True)

    found.click()
    heading(page).to_have_text(PRODUCT)
    terms = page.get_by_role("region", name="许可协议与使用条款")
    expect(terms).to_contain_text(LICENCE)
    expect(terms).to_contain_text(PERMITTED_PURPOSE)
    expect(terms.get_by_text(TERMS_EXCERPT)).to_be_hidden()
    terms.get_by_text("许可协议全文").click()
    expect(terms.get_by_text(TERMS_EXCERPT)).to_be_visible()
    journey.step(page, "product-and-licence", narrow=True)

    page.get_by_role("link", name="申请使用").click()
    heading(page).to_have_text("申请使用")
    expect(page.get_by_role("main")).to_contain_text(ENTERPRISE_NAME)  # the requesting organization
    page.get_by_label("使用目的").fill(PURPOSE)
    page.get_by_label("应用场景").fill("清江浦区公交线路调整方案评估")
    page.get_by_label("申请期限（月）").fill("12")
    page.get_by_label("预计使用量").fill("每月下载一次")
    page.get_by_label("联系人").fill("王敏 0517-83660000")
    expect(page.get_by_role("region", name=re.compile("^许可条款"))).to_contain_text(TERMS_EXCERPT)
    page.get_by_label("本单位同意上述条款").check()
    journey.step(page, "request-form", narrow=True)
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    heading(page).to_contain_text(PRODUCT)
    expect(page.get_by_text("已提交", exact=True).first).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(PURPOSE)
    journey.step(page, "request-sent")

    page.get_by_role("navigation", name="账号").get_by_role("link", name="申请", exact=True).click()
    heading(page).to_have_text("我的申请")
    row = page.get_by_role("row").filter(has_text=PRODUCT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(PROVIDER)
    expect(row).to_contain_text("已提交")
    journey.step(page, "my-requests", narrow=True)
    story["request"] = row.get_by_role("link", name=PRODUCT).get_attribute("href")


def test_owner_lists_a_new_product_and_a_reviewer_puts_it_in_publicity(journey: Journey) -> None:
    page = journey.open("owner")
    sign_in(page, OWNER)
    page.get_by_role("link", name="工作台").click()
    heading(page).to_have_text("工作台")
    expect(page.get_by_role("main")).to_contain_text(PROVIDER)
    listings = page.get_by_role("table", name="本单位各状态的挂牌信息")
    expect(listings.get_by_role("link", name=PRODUCT)).to_be_visible()
    journey.step(page, "workspace", narrow=True)

    page.get_by_role("link", name="新增挂牌产品").click()
    heading(page).to_have_text("新增挂牌产品")
    organization = page.get_by_role("combobox", name="单位", exact=True)
    expect(organization).to_have_value("jkzs")  # the owner's one organization, chosen
    page.get_by_label("网址标识").fill(NEW_SLUG)
    page.get_by_role("textbox", name="标题", exact=True).fill(NEW_PRODUCT)
    page.get_by_label("英文名称").fill("Huai'an bus stop ridership heat map, monthly")
    page.get_by_role("textbox", name="摘要", exact=True).fill(
        "按月汇总全市公交站点的上下客量热力分布，供线网规划参考。"
    )
    page.get_by_role("textbox", name="描述", exact=True).fill(
        "基于公交线路与站点数据和刷卡客流数据，按站点、月份汇总上下客量，"
        "经去标识化处理后形成热力分布报告，每月更新一次，以文件方式交付。"
    )
    page.get_by_label("行业领域").select_option(label="交通物流")
    page.get_by_label("来源数据集").select_option(value="HA-JTJ-001")
    page.get_by_label("来源类型").select_option(label="授权运营")
    page.get_by_label("安全等级").select_option(label="一般数据")
    page.get_by_label("产品类型").select_option(label="数据报告")
    page.get_by_label("交付方式").select_option(label="文件交付")
    page.get_by_label("更新频率").select_option(label="每月")
    page.get_by_role("combobox", name="许可协议", exact=True).select_option(label=LICENCE)
    page.get_by_label("许可用途").fill("仅限公交线网规划和交通研究")
    expect(page.get_by_label("使用期限（月）")).to_have_value("12")
    page.get_by_label("用途类别").select_option(label="公共治理")
    page.get_by_label("计价方式").select_option(label="免费")
    # the registration's materials (26号): approval needs every one
    page.get_by_label("应用场景").fill("公交线网优化\n站点客流评估")
    page.get_by_label("合法来源说明").fill(
        "数据来源于市交通局公交刷卡数据，经市数据局授权运营，原始数据不出域"
    )
    page.get_by_label("数据安全风险评估：评估机构").fill("淮安市数据安全风险评估中心")
    page.get_by_label("数据安全风险评估：评估日期").fill("2026-11-20")
    page.get_by_label("数据安全风险评估：评估结论").fill("通过（低风险）")
    page.get_by_label("数据安全风险评估：报告编号").fill("数安评〔2026〕88号")
    page.get_by_label("合规评估：评估机构").fill("江苏淮信律师事务所")
    page.get_by_label("合规评估：评估日期").fill("2026-11-25")
    page.get_by_label("合规评估：结论或等级").fill("A（合规）")
    page.get_by_label("合规评估：报告编号").fill("合规评〔2026〕61号")
    journey.step(page, "new-product-form", narrow=True)
    page.get_by_role("button", name="保存草稿").click()
    expect(page).to_have_url(re.compile(f"/owner/products/{NEW_SLUG}$"))
    heading(page).to_have_text(NEW_PRODUCT)
    expect(page.get_by_text("草稿", exact=True).first).to_be_visible()
    journey.step(page, "draft-saved")

    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交", exact=True).first).to_be_visible()
    journey.step(page, "submitted-for-review")

    reviewer = journey.open("reviewer")
    sign_in(reviewer, REVIEWER)
    reviewer.get_by_role("link", name="审核", exact=True).click()
    heading(reviewer).to_have_text("审核队列")
    reviewer.get_by_role("link", name=NEW_PRODUCT).click()
    heading(reviewer).to_have_text(NEW_PRODUCT)
    journey.step(reviewer, "review-item")
    reviewer.get_by_role("button", name="开始审核").click()
    expect(reviewer.get_by_text("审核中", exact=True).first).to_be_visible()
    approve = reviewer.locator("form").filter(has=reviewer.get_by_role("heading", name="审核通过"))
    for box in approve.get_by_role("checkbox").all():
        box.check()
    journey.step(reviewer, "checklist-complete")
    approve.get_by_role("button", name="审核通过").click()
    expect(reviewer.get_by_text("公示中", exact=True).first).to_be_visible()
    journey.step(reviewer, "approved-in-publicity")

    page.reload()
    page.get_by_role("link", name="查看挂牌页面").click()
    heading(page).to_have_text(NEW_PRODUCT)
    expect(page.get_by_text("本产品尚在公示期内，暂不受理申请。")).to_be_visible()
    journey.step(page, "public-page-in-publicity", narrow=True)


def test_owner_answers_the_request_and_the_enterprise_sees_it(
    journey: Journey, story: dict[str, Any]
) -> None:
    if "request" not in story:
        pytest.skip("needs the request the enterprise's journey makes, and that journey did not finish")
    page = journey.open("owner")
    sign_in(page, OWNER)
    page.get_by_role("link", name="工作台").click()
    page.get_by_role("link", name="收到的申请").click()
    heading(page).to_have_text("收到的申请")
    row = page.get_by_role("row").filter(has_text=ENTERPRISE_NAME)
    expect(row).to_contain_text(PRODUCT)
    expect(row).to_contain_text("已提交")
    journey.step(page, "incoming-requests", narrow=True)

    row.get_by_role("link", name=PRODUCT).click()
    expect(page).to_have_url(re.compile(re.escape(story["request"]) + "$"))
    expect(page.get_by_role("main")).to_contain_text(PURPOSE)
    journey.step(page, "request")
    page.get_by_role("button", name="开始审核").click()
    expect(page.get_by_text("审核中", exact=True).first).to_be_visible()
    journey.step(page, "under-review")
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_text("已同意", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)
    journey.step(page, "approved", narrow=True)

    enterprise = journey.open("enterprise")
    sign_in(enterprise, ENTERPRISE)
    enterprise.get_by_role("navigation", name="账号").get_by_role("link", name="申请", exact=True).click()
    row = enterprise.get_by_role("row").filter(has_text=PRODUCT)
    expect(row).to_contain_text("已同意")
    journey.step(enterprise, "my-requests-approved", narrow=True)
    row.get_by_role("link", name=PRODUCT).click()
    timeline = enterprise.get_by_role("list").filter(has_text="审核中")
    for state in ("已提交", "审核中", "已同意"):
        expect(timeline).to_contain_text(state)
    journey.step(enterprise, "request-timeline")


def test_administrator_reads_the_dashboard_and_the_pricing_check(journey: Journey) -> None:
    page = journey.open("admin")
    sign_in(page, ADMIN)
    page.get_by_role("link", name="管理后台").click()
    heading(page).to_have_text("目标看板")
    figures = page.request.get("/api/v1/stats").json()

    targets = page.get_by_role("region", name="目标", exact=True)
    for key, name in (("products", "挂牌数据产品"), ("datasets", "挂牌高质量数据集")):
        listed, target = figures[key]["counted"], figures[key]["target"]
        expect(targets).to_contain_text(f"{listed} / {target}")
        progress = targets.get_by_role("progressbar", name=name)
        expect(progress).to_have_attribute("aria-valuenow", str(min(listed, target)))
        expect(progress).to_have_attribute("aria-valuemax", str(target))
    assert figures["products"]["target"] == 300 and figures["datasets"]["target"] == 50

    trend = page.get_by_role("region", name="逐月挂牌情况")
    charts = trend.get_by_role("img")
    expect(charts).to_have_count(2)
    expect(charts.first.locator("title")).to_have_text("挂牌数据产品")
    expect(trend.get_by_role("img", name=re.compile("^挂牌数据产品"))).to_be_visible()

    pipeline = page.get_by_role("table", name="挂牌流程中的条目")
    in_publicity = pipeline.get_by_role("row").filter(has_text="公示中")
    expect(in_publicity).to_contain_text(str(figures["pipeline"]["products"]["publicity"]))
    funnel = page.get_by_role("table", name="申请办理漏斗").get_by_role("row")
    expect(funnel).to_have_count(5)  # a header and four steps
    requests = figures["requests"]["funnel"]
    for row, step in zip(funnel.all()[1:], ("submitted", "approved", "delivered", "rejected"), strict=True):
        expect(row.get_by_role("cell").first).to_have_text(str(requests[step]))
    journey.step(page, "dashboard", narrow=True)

    page.get_by_role("navigation", name="管理后台").get_by_role("link", name="价格合规检查").click()
    heading(page).to_have_text("价格合规检查")
    expect(page.get_by_role("main")).to_contain_text("1.5")  # the per-call cap, in yuan
    flagged = page.get_by_role("table", name="价格不合规的产品")
    if flagged.count():
        expect(flagged.get_by_role("row").nth(1)).to_be_visible()
    else:
        expect(page.get_by_text("所检查产品的定价均符合规定。")).to_be_visible()
    journey.step(page, "pricing-check", narrow=True)


def test_dashboard_funnel_names_its_steps_in_chinese(journey: Journey) -> None:
    page = journey.open("admin")
    sign_in(page, ADMIN)
    page.goto("/admin")
    funnel = page.get_by_role("table", name="申请办理漏斗")
    journey.step(page, "dashboard-funnel")
    expect(funnel).to_be_visible()
    assert funnel.get_by_role("rowheader").all_inner_texts() == ["已提交", "已同意", "已交付", "未通过"]
