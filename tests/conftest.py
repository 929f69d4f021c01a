"""Shared fixtures: the real project, a small copy of the data for breaking, and one real build."""

from __future__ import annotations

import shutil
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


@pytest.fixture
def minidata(tmp_path) -> Path:
    """A writable copy of a tiny valid data folder, to break in each test."""
    d = tmp_path / "data"
    shutil.copytree(FIXTURES / "minidata", d)
    return d


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
