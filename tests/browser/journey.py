"""A test's walk through the site in chromium: one tab per user, a screenshot of every step, and the
checks every page passes (no console error, the ``lang`` attribute, no sideways scrolling at 375 px)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, Response
from playwright.sync_api import Error as PlaywrightError

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# What chromium logs for a document answered with an error status: allowed only on a step that expects it.
HTTP_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})\b")
# Elements that stick out past the right edge of the viewport, to name the culprit of sideways scrolling.
OVERFLOWING = """() => {
  const width = window.innerWidth, found = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      const classes = typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + classes.map((c) => "." + c).join("");
      found.push(name + " (right edge " + Math.round(box.right) + ")");
    }
  }
  return found.slice(0, 8);
}"""

# What the run could not keep (a screenshot, a font): reported at the end of the run, never a failure.
NOTES: list[str] = []


@dataclass(frozen=True)
class Account:
    email: str
    password: str


@dataclass
class Tab:
    """One user's page and what its pages logged since the last step."""

    who: str
    page: Page
    problems: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(message.text)

    def on_page_error(self, error: PlaywrightError) -> None:
        self.problems.append(f"uncaught: {error}")

    def on_response(self, response: Response) -> None:
        if response.request.resource_type == "document" and response.status >= 500:
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")


class Journey:
    """The users of one test: each opens a tab (its own cookies) and records steps into one folder."""

    def __init__(self, browser: Browser, base_url: str, folder: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.folder = folder
        self.tabs: list[Tab] = []
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)  # this run's steps only

    def open(self, who: str) -> Page:
        """A new browser context for ``who``: Chinese locale, desktop size, short timeouts."""
        context = self.browser.new_context(base_url=self.base_url, viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        page = context.new_page()
        tab = Tab(who, page)
        page.on("console", tab.on_console)
        page.on("pageerror", tab.on_page_error)
        page.on("response", tab.on_response)
        self.tabs.append(tab)
        return page

    def tab(self, page: Page) -> Tab:
        return next(t for t in self.tabs if t.page is page)

    def step(
        self,
        page: Page,
        name: str,
        *,
        narrow: bool = False,
        http_error: int | None = None,
        lang: str = "zh-Hans",
    ) -> None:
        """Keep a screenshot of what the user sees now, then check the page as every page is checked.

        ``http_error``: this page is an intended 4xx answer, so chromium's "Failed to load resource"
        for that status is expected here (and nowhere else). ``narrow``: also at 375 px wide.
        """
        page.wait_for_load_state()
        tab = self.tab(page)
        self.count += 1
        label = f"{self.count:02d}-{tab.who}-{name}"
        self.screenshot(page, label)
        problems, tab.problems = tab.problems, []
        unexpected = [p for p in problems if not _expected(p, http_error)]
        assert not unexpected, f"{label}: console errors on {page.url}: {unexpected}"
        assert page.locator("html").get_attribute("lang") == lang, f"{label}: <html lang> on {page.url}"
        if narrow:
            self.check_narrow(page, label)

    def check_narrow(self, page: Page, label: str) -> None:
        """At 375 px wide the page scrolls only vertically."""
        page.set_viewport_size(PHONE)
        try:
            scroll_width, width = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            culprits = page.evaluate(OVERFLOWING) if scroll_width > width else []
            self.screenshot(page, f"{label}-375px")
        finally:
            page.set_viewport_size(DESKTOP)
        assert scroll_width <= width, (
            f"{label}: {page.url} scrolls sideways at {width} px: {scroll_width} px wide; "
            f"sticking out: {culprits}"
        )

    def screenshot(self, page: Page, label: str) -> None:
        """Keep an image of the page; a folder that cannot be written is noted, not a failure."""
        path = self.folder / f"{label}.png"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=path, full_page=True)
        except (OSError, PlaywrightError) as exc:
            NOTES.append(f"screenshot not kept: {path}: {exc}")

    def close(self, failed: bool) -> None:
        """Close every tab; after a failure, first keep a picture of where each user was."""
        for tab in self.tabs:
            if failed and not tab.page.is_closed():
                self.screenshot(tab.page, f"{self.count + 1:02d}-{tab.who}-at-failure")
            tab.page.context.close()
        self.tabs.clear()


def _expected(problem: str, http_error: int | None) -> bool:
    found = HTTP_ERROR.match(problem)
    return http_error is not None and found is not None and int(found.group(1)) == http_error
