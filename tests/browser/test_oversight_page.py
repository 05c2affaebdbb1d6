"""The oversight page in a real headless Chromium (R-OVS-1): it loads with no console errors, its charts show
the figures the APIs give, a filter changes the charts, and a screenshot is kept as a test artefact."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.factories import officer, token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
COUNTY = "140321"  # 平定县: three of the demo's eight townships are elsewhere, so its share is smaller


def _figures(base: str, service: str, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/{service}/v1/figures", params=params, timeout=30, headers=officer())
    assert response.status_code == 200, response.text
    return response.json()


def test_oversight_page_draws_the_figures_and_a_filter_changes_them(
    live_system: str, chromium_path: str
) -> None:
    from playwright.sync_api import sync_playwright

    from services.demo import Demo

    Demo(live_system, seed=20261128).run(24)
    city = _figures(live_system, "intake")["totals"]["received"]
    county = _figures(live_system, "intake", county_code=COUNTY)["totals"]["received"]
    approved = _figures(live_system, "approval")["totals"]["approved"]
    assert city == 24 and 0 < county < city and approved > 0

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.goto(f"{live_system}/oversight/#token={token('oversight-viewer', 'auditor')}")
            page.wait_for_selector("body[data-ready]")

            received = page.locator("#chart-received svg")
            assert received.get_attribute("data-total") == str(city)
            assert page.locator("[data-kpi=received] b").inner_text() == str(city)
            assert page.locator("[data-kpi=approved] b").inner_text() == str(approved)
            assert page.locator("#chart-decisions svg rect").count() == 4
            assert page.locator("#chart-townships svg").get_attribute("data-categories").count("|") == 7
            page.screenshot(path=str(ROOT / "artifacts" / "oversight-city.png"), full_page=True)

            ready = page.get_attribute("body", "data-ready")
            page.select_option("#county", COUNTY)
            # a CSS wait, not a script: the page's CSP (script-src 'self') refuses evaluated strings
            page.wait_for_selector(f"body[data-ready]:not([data-ready='{ready}'])")
            assert received.get_attribute("data-total") == str(county)
            assert "county_code=" + COUNTY in page.url
            townships = page.locator("#chart-townships svg").get_attribute("data-categories").split("|")
            assert len(townships) == 2 and all(
                not t.startswith("1403") for t in townships
            )  # names, not codes
            link = page.locator("a[data-link=reserve-report]")
            assert link.is_visible() and f"county_code={COUNTY}" in link.get_attribute("href")
            page.screenshot(path=str(ROOT / "artifacts" / "oversight.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
