"""A real browser (Debian's chromium, driven by Playwright) against a real server on loopback."""

from __future__ import annotations

import pytest

from web.conftest import ROOT, start_server, stop_server  # tests/ is on sys.path (rootdir)

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def site(built, tmp_path_factory):
    log = tmp_path_factory.mktemp("browser-server") / "server.log"
    server = start_server(built.out_dir, log)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
