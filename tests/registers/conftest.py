"""Fixtures for the register import: the curated places to match, the synthetic generator,
and a helper that imports into a temporary registers folder."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parents[1]
AS_OF = dt.date(2026, 11, 22)
BASE = "https://w3id.org/siberia-kg/"


@pytest.fixture(scope="session")
def places(built):
    """The curated places and camps, from the session's real build."""
    from siberia_kg.importers.places import PlaceIndex

    return PlaceIndex.from_file(built.out_dir / "siberia-kg.nq")


@pytest.fixture(scope="session")
def synthetic():
    """bench/synthetic_register.py as a module (bench/ is not a package)."""
    path = ROOT / "bench" / "synthetic_register.py"
    spec = importlib.util.spec_from_file_location("synthetic_register", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["synthetic_register"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def registers(tmp_path) -> Path:
    return tmp_path / "registers"


@pytest.fixture
def do_import(registers, places):
    """import_register with the test defaults: fixed as-of date, curated places."""
    from siberia_kg.importers import import_register

    def run(csv_path, source="syn-test", **kw):
        kw.setdefault("as_of", AS_OF)
        kw.setdefault("places", places)
        kw.setdefault("title", "SYNTHETIC test register")
        return import_register(Path(csv_path), source=source,
                               registers_dir=kw.pop("registers_dir", registers), **kw)

    return run
