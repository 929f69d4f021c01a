"""A real browser (Debian's chromium, driven by Playwright) against a real server on loopback."""

from __future__ import annotations

import shutil

import pytest

from web.conftest import ROOT, start_server, stop_server  # tests/ is on sys.path (rootdir)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags chromium keeps trying to reach the network
# (see shared NOTES.md); Playwright starts it with a new, empty user-data directory each time.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def site(built, tmp_path_factory):
    log = tmp_path_factory.mktemp("browser-server") / "server.log"
    server = start_server(built.out_dir, log)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); "
                    "the browser tests need it and never download a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
