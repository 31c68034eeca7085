"""A real service and a real browser for the web pages' tests.

``web_server``: uvicorn on a free port of 127.0.0.1 serving the real data (the
session's ``real_store``) with its query workers, for the whole session.
``browser``: headless Chromium, the system's own (Debian's ``chromium``), driven by
Playwright; never a downloaded browser. Without Chromium the browser tests are
skipped on a developer's machine and fail in CI (``CI`` set), where .ci/run installs it.
``visit``: opens a page in a fresh browser context (a cold cache) and records every
request it makes and every console error, for the test to check.

Each visit's screenshot and figures (bytes transferred, time to first render) are
written to ``build/browser/`` (``pages.md`` sums them up) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mipex_kg.api.app import create_app
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.api.live import serving

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "build" / "browser"
AXE = next((ROOT / "tests" / "vendor").glob("axe-core@*/axe.min.js"))
MAX_SHOT = 4000  # pixels of a page's height in its screenshot (the API docs are far longer)
CHROMIUM = next((found for name in ("chromium", "chromium-browser")
                 if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def web_server(real_store: KnowledgeStore) -> Iterator[str]:
    """The service on the real data, with one query worker; yields its base URL."""
    app = create_app(Settings(store=None, query_timeout=60.0), real_store, query_workers=1)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's), one for the tests of this package.

    Playwright's sync API keeps an event loop running in the main thread while it is
    open; it is closed when these tests end, so that later tests may start their own.
    """
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium in CI: .ci/run installs the Debian package chromium")
        pytest.skip("no Chromium to drive (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Visit:
    """One page open in the browser, with what it asked for and what it complained about."""

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def elsewhere(self) -> list[str]:
        """The requests that left the service (anything but its own origin, data: and blob:)."""
        return [u for u in self.requests
                if not u.startswith((self.base + "/", "data:", "blob:")) and u != self.base]

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def accessibility_violations(self) -> list[str]:
        """axe-core's serious and critical violations on the page as it is now."""
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ' elements, e.g. '"
            " + v.nodes[0].target.join(' ') + ')')")
        return list(result)

    def record(self, name: str) -> dict[str, Any]:
        """Save a full-page screenshot and the page's figures under ``build/browser``."""
        OUTPUT.mkdir(parents=True, exist_ok=True)
        height = min(int(self.page.evaluate("document.documentElement.scrollHeight")), MAX_SHOT)
        self.page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True,
                             clip={"x": 0, "y": 0, "width": 1280, "height": height})
        figures = self.page.evaluate("""() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource');
            const paint = performance.getEntriesByName('first-contentful-paint')[0];
            return {
              requests: resources.length + 1,
              transfer_bytes: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
              html_bytes: nav.transferSize,
              first_contentful_paint_ms: paint ? Math.round(paint.startTime) : null,
              dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
            };
        }""")
        figures["url"] = self.page.url.removeprefix(self.base)
        (OUTPUT / f"{name}.json").write_text(json.dumps(figures, indent=1) + "\n")
        _summarise()
        return dict(figures)


def _summarise() -> None:
    rows = ["| page | URL | requests | transferred (KiB) | HTML (KiB) | first render (ms) | "
            "DOMContentLoaded (ms) |", "|---|---|---|---|---|---|---|"]
    for path in sorted(OUTPUT.glob("*.json")):
        f = json.loads(path.read_text())
        rows.append(f"| {path.stem} | {f['url']} | {f['requests']} | "
                    f"{f['transfer_bytes'] / 1024:,.0f} | {f['html_bytes'] / 1024:,.1f} | "
                    f"{f['first_contentful_paint_ms']} | {f['dom_content_loaded_ms']} |")
    (OUTPUT / "pages.md").write_text("\n".join(rows) + "\n")


@pytest.fixture
def visit(browser: Any, web_server: str) -> Iterator[Callable[[str], Visit]]:
    """Open a path of the service in a fresh context (cold cache); closed after the test."""
    contexts = []

    def open_page(path: str) -> Visit:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page, web_server)
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: seen.errors.append(str(error)))
        page.goto(web_server + path, wait_until="load")
        return seen

    yield open_page
    for context in contexts:
        context.close()
