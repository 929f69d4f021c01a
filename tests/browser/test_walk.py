"""A reader's walk through the site in a real browser: landing -> search -> entity page (switched
to Japanese) -> map -> timeline -> the query page running a sample query. Screenshots of each
step are kept in test-artifacts/screenshots/. Every request the pages make must go to the server
on loopback, and no page may log an error (a Content-Security-Policy refusal among them)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest


@pytest.fixture
def watched(browser, site):
    """A fresh browser context that records every request and every console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    log = {"requests": [], "errors": []}
    context.on("request", lambda r: log["requests"].append(r.url))

    def attach(page):
        page.on("console", lambda m: m.type == "error" and log["errors"].append(m.text))
        page.on("pageerror", lambda e: log["errors"].append(str(e)))
    context.on("page", attach)
    page = context.new_page()
    yield page, log
    context.close()


def off_loopback(urls: list[str], site) -> list[str]:
    own = urlsplit(site.url).netloc
    return [u for u in urls if not u.startswith(("data:", "blob:")) and urlsplit(u).netloc != own]


def test_walk_from_landing_to_query(watched, site, screenshots):
    page, log = watched
    url = site.url

    # Landing page
    page.goto(url + "/")
    assert page.locator("h1").first.inner_text().startswith("siberia-kg")
    assert page.locator("#examples ol.samples li").count() > 0
    page.screenshot(path=str(screenshots / "01-landing.png"), full_page=True)

    # Search from the header box, then search as you type on the search page
    page.fill("#site-q", "Fumo Chitai")
    page.press("#site-q", "Enter")
    page.wait_for_url("**/search?q=Fumo+Chitai*")
    first = page.locator("ol.results > li > a").first
    assert first.inner_text() == "Fumō Chitai"
    page.fill("#q", "")
    page.type("#q", "khabarovsk", delay=20)
    page.wait_for_function(
        "() => [...document.querySelectorAll('ol.results > li > a')].some(a => a.textContent === 'Khabarovsk')")
    page.screenshot(path=str(screenshots / "02-search.png"), full_page=True)

    # Entity page, then the language switch to Japanese
    page.locator("ol.results > li > a", has_text="Khabarovsk").first.click()
    page.wait_for_url("**/id/place/khabarovsk.html")
    assert page.locator("h1").inner_text() == "Khabarovsk"
    assert page.locator("dl.props").count() == 1
    page.locator(".lang-switch a[hreflang=ja]").click()
    page.wait_for_url("**/id/place/khabarovsk.html?lang=ja")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "ハバロフスク"
    assert page.locator("nav[aria-label=Main] a[href='/map?lang=ja']").inner_text() == "地図"
    page.wait_for_selector("#map[data-markers='1']")
    page.screenshot(path=str(screenshots / "03-entity-ja.png"), full_page=True)

    # Map: outlines drawn from the local TopoJSON, one marker per position and kind
    page.locator("nav[aria-label=Main] a[href='/map?lang=ja']").click()
    page.wait_for_url("**/map?lang=ja")
    page.wait_for_selector("#map[data-basemap='drawn']")
    markers = int(page.locator("#map").get_attribute("data-markers"))
    assert markers > 5
    assert page.locator("#map path.marker").count() == markers
    assert page.locator("#map path.marker-approx").count() >= 1
    assert page.locator(".leaflet-pane path").count() > markers  # country outlines too
    page.locator("#map path.marker-camp").first.click(force=True)
    popup = page.locator(".leaflet-popup-content a").first
    popup.wait_for()
    assert popup.get_attribute("href").startswith("/id/camp/")
    page.mouse.move(5, 5)  # away from the marker: its tooltip closes
    page.wait_for_timeout(500)  # the popup's fade-in, for the screenshot
    page.screenshot(path=str(screenshots / "04-map.png"))
    assert off_loopback(log["requests"], site) == []

    # Timeline
    page.goto(url + "/timeline")
    assert page.locator("li.event").count() > 10
    assert page.locator("li.event time").first.get_attribute("datetime") <= \
        page.locator("li.event time").last.get_attribute("datetime")
    page.screenshot(path=str(screenshots / "05-timeline.png"))

    # Query page: one click on a sample query loads it into YASGUI and runs it on /sparql
    page.goto(url + "/query")
    page.wait_for_selector("#yasgui .CodeMirror")
    sample = page.locator("button.run-sample[data-sample='repatriation-by-year']")
    if sample.count() == 0:
        sample = page.locator("button.run-sample").first
    name = sample.get_attribute("data-sample")
    expected = page.locator(f"pre#sample-{name}").text_content()
    with page.expect_response(lambda r: urlsplit(r.url).path == "/sparql") as answer:
        sample.click()
    assert answer.value.status == 200
    rows = page.locator("#yasgui .yasr table tbody tr")
    rows.first.wait_for()
    assert rows.count() > 0
    assert "No data available" not in rows.first.inner_text()
    editor = page.evaluate("() => document.querySelector('#yasgui .CodeMirror').CodeMirror.getValue()")
    assert editor.strip() == expected.strip()
    if name == "repatriation-by-year":
        assert "1947" in page.locator("#yasgui .yasr table").inner_text()
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, "the result table scrolls in its own box, not the page"
    page.screenshot(path=str(screenshots / "06-query.png"), full_page=True)

    assert off_loopback(log["requests"], site) == []
    assert log["errors"] == []


@pytest.mark.parametrize("path, shot", [("/", "07-phone-landing.png"),
                                        ("/id/camp/taishet.html?lang=ru", "08-phone-entity.png"),
                                        ("/stats", "09-phone-stats.png"),
                                        ("/query", "10-phone-query.png")])
def test_readable_on_a_phone(browser, site, screenshots, path, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
        if path == "/query":  # with a result table below the editor
            page.locator("button.run-sample").first.click()
            page.locator("#yasgui .yasr table tbody tr").first.wait_for()
        # Nothing wider than the screen but what scrolls inside its own box (tables, the editor).
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than the phone"
        assert page.locator("meta[name=viewport]").count() == 1
        page.screenshot(path=str(screenshots / shot), full_page=False)
        assert errors == []
    finally:
        context.close()
