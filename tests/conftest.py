"""Shared fixtures: the real project, a small copy of the data for breaking, and one real build."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from rdflib import Graph

from siberia_kg.config import Settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "siberia-kg.ttl")


# Module-scoped, so that a test that changes one of these graphs cannot affect another module.
@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ROOT / "ontology" / "shapes.ttl")


@pytest.fixture(scope="module")
def good() -> Graph:
    """The shapes' fixture: a small graph that conforms, which the shape tests break."""
    return Graph().parse(FIXTURES / "shapes" / "good.ttl")


@pytest.fixture
def minidata(tmp_path) -> Path:
    """A writable copy of a tiny valid data folder, to break in each test."""
    d = tmp_path / "data"
    shutil.copytree(FIXTURES / "minidata", d)
    return d


@pytest.fixture
def refused_port() -> int:
    """A loopback port where connections are refused: bound by this fixture but not listening,
    for the test's whole duration. A port found free and closed again can be taken meanwhile by
    a server of another test (another pytest-xdist worker, say); this one cannot."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Settings:
    """The real data built once for the session into a temporary dist folder."""
    from siberia_kg.build import build

    out = tmp_path_factory.mktemp("build") / "dist"
    settings = Settings(out_dir=out)
    build(settings)
    return settings


@pytest.fixture(scope="session")
def store(built):
    from siberia_kg.store import GraphStore

    return GraphStore.from_dist(built.out_dir)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags chromium keeps trying to reach the network
# (see shared NOTES.md); Playwright starts it with a new, empty user-data directory each time.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One Debian chromium for the whole session: Playwright's sync API allows one instance
    per thread, so every test that needs a browser shares this one."""
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); "
                    "the browser tests need it and never download a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
