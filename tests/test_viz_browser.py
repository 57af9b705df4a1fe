"""The interactive page in real headless Chromium (Debian package ``chromium``), driven by
Playwright with the system browser: no browser download."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from navograph.viz import build_view, export_view

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_viz import EVIL_EN, EVIL_QUOTE, MemStore, make_quads

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _chromium() -> str | None:
    for cand in (os.environ.get("NAVOGRAPH_CHROMIUM"), "/usr/bin/chromium",
                 shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and os.path.exists(cand) and os.access(cand, os.X_OK):
            return cand
    return None


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium: install it with `apt-get install -y chromium` "
                    "(or set NAVOGRAPH_CHROMIUM to its path)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the Python package playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def store():
    return MemStore(make_quads())


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 850})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function("window.navograph && window.navograph.ready === true", timeout=60000)
    return page, errors, requests


def _click_node(page, node_id: str) -> None:
    pos = page.evaluate(
        """(id) => { const n = window.navograph.cy.getElementById(id);
                     const p = n.renderedPosition(); return [p.x, p.y]; }""", node_id)
    box = page.locator("#cy").bounding_box()
    page.mouse.click(box["x"] + pos[0], box["y"] + pos[1])


@pytest.mark.parametrize("view", ["stances", "meetings", "mentions", "full"])
def test_page_draws_the_view(browser, store, tmp_path, view):
    out = tmp_path / f"{view}.html"
    export_view(store, view=view, fmt="html", out=out)
    G = build_view(store, view, facts=False)
    page, errors, requests = _open(browser, out)
    try:
        assert page.evaluate("window.navograph.cy.nodes().length") == G.number_of_nodes()
        assert page.evaluate("window.navograph.cy.edges().length") == G.number_of_edges()
        assert page.get_attribute("body", "data-nodes") == str(G.number_of_nodes())
        assert page.get_attribute("body", "data-visible-nodes") == str(G.number_of_nodes())
        assert not errors, errors
        # nothing but the file itself was requested
        assert all(u.startswith("file:") or u.startswith("data:") for u in requests), requests
    finally:
        page.close()


def test_click_shows_evidence_and_filters(browser, store, tmp_path):
    out = tmp_path / "stances.html"
    export_view(store, view="stances", fmt="html", out=out)
    page, errors, _ = _open(browser, out)
    try:
        # the label with </script>, quotes and angle brackets is drawn as text
        labels = page.evaluate("window.navograph.cy.nodes().map(n => n.data('label'))")
        assert EVIL_EN in labels

        _click_node(page, "country/NL")
        details = page.locator("#details")
        details.locator(".fact").first.wait_for(timeout=10000)
        text = details.inner_text()
        assert "Netherlands" in text
        assert "Nederland steunt het DIANA-initiatief en maakt zich zorgen over China." in text
        assert "2022-fmm-report" in text

        _click_node(page, "country/XX")
        page.wait_for_function(
            "document.querySelector('#details h2').textContent.startsWith('Evil')", timeout=10000)
        quotes = page.locator("#details blockquote").all_text_contents()
        assert EVIL_QUOTE in quotes
        assert page.locator("#details b").count() == 0  # never parsed as markup

        shot = tmp_path / "stances.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10000
        if os.environ.get("NAVOGRAPH_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["NAVOGRAPH_SCREENSHOT_DIR"]) / "stances.png")

        # polarity filter: hide the opposing stances
        page.locator("input[data-polarity='oppose']").uncheck()
        visible = page.evaluate("window.navograph.cy.edges().not('.hidden').map(e => e.data('polarity'))")
        assert visible and "oppose" not in visible
        page.locator("input[data-polarity='oppose']").check()

        # letter filter: only the summit agenda's positions
        page.select_option("#letter", "2022-summit-agenda")
        vis = page.evaluate("window.navograph.cy.edges().not('.hidden').map(e => e.data('letters'))")
        assert vis and all("2022-summit-agenda" in v for v in vis)
        assert len(vis) == 3
        page.select_option("#letter", "")

        # date range: June only
        page.fill("#date-from", "2022-06-01")
        page.dispatch_event("#date-from", "change")
        n = page.evaluate("window.navograph.cy.edges().not('.hidden').length")
        assert n == 3
        page.click("#reset")
        assert page.evaluate("window.navograph.cy.edges().not('.hidden').length") == 6

        # type filter
        page.locator("input[data-type='Topic']").uncheck()
        types = page.evaluate("window.navograph.cy.nodes().not('.hidden').map(n => n.data('type'))")
        assert "Topic" not in types
        page.click("#reset")

        # search by name
        page.fill("#search", "nederland")
        assert page.evaluate("window.navograph.cy.nodes('.match').map(n => n.id())") == ["country/NL"]
        page.fill("#search", "\u4e2d\u56fd")
        assert page.evaluate("window.navograph.cy.nodes('.match').length") == 1
        assert not errors, errors
    finally:
        page.close()
