"""Fixtures for the linker's tests: a SPARQL endpoint on loopback holding the Wikidata-shaped
fixture, clients that talk to it, and writable copies of the data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from siberia_kg.config import Settings
from siberia_kg.link.client import SparqlClient

from .endpoint import LoopbackEndpoint
from .fixture_items import GAZETTEER_REWRITE, gold

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "wikidata.ttl"
ROOT = HERE.parents[1]
RUN_DATE = "2026-11-01"


def _endpoint() -> LoopbackEndpoint:
    ep = LoopbackEndpoint().start()
    ep.load_turtle(FIXTURE.read_text(encoding="utf-8"))
    return ep


@pytest.fixture
def endpoint():
    """A fresh endpoint for each test (tests may change what it holds)."""
    ep = _endpoint()
    yield ep
    ep.stop()


@pytest.fixture
def make_client(tmp_path):
    """Clients without throttling (unless asked), caching under the test's folder."""
    def make(ep: LoopbackEndpoint, **kw) -> SparqlClient:
        kw.setdefault("cache_dir", tmp_path / "cache")
        kw.setdefault("min_interval", 0.0)
        kw.setdefault("timeout", 10.0)
        return SparqlClient(ep.url, **kw)
    return make


@pytest.fixture
def gold_links() -> dict[str, str]:
    return gold()


def copy_data(tmp_path: Path, *, rewrite_gazetteer: bool = False, drop_gazetteer_links: bool = False) -> Settings:
    """A writable copy of the real data. The gazetteer's Wikidata ids are real; the fixture
    stands for them with invented ids, so a test that needs them to resolve rewrites them."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("links"))
    places = data / "places.trig"
    text = places.read_text(encoding="utf-8")
    if rewrite_gazetteer:
        for real, fake in GAZETTEER_REWRITE.items():
            text = text.replace(f"<http://www.wikidata.org/entity/{real}>",
                                f"<http://www.wikidata.org/entity/{fake}>")
    if drop_gazetteer_links:
        text = re.sub(r"\n\s*skos:exactMatch <http://www\.wikidata\.org/entity/Q\d+> ;", "", text)
    places.write_text(text, encoding="utf-8")
    return Settings(data_dir=data)


@pytest.fixture
def data_copy(tmp_path) -> Settings:
    return copy_data(tmp_path)
