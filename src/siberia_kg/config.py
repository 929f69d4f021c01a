"""Settings: paths and the public base IRI, from flags first, then the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .namespaces import DEFAULT_BASE, check_base


def _project_root() -> Path:
    # src/siberia_kg/config.py -> the checkout's top level, where data/ and ontology/ live.
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    base: str = DEFAULT_BASE
    root: Path = field(default_factory=_project_root)
    data_dir: Path | None = None
    ontology_dir: Path | None = None
    out_dir: Path | None = None
    queries_dir: Path | None = None
    # Imported person registers, one folder registers/<SLUG>/ each (see docs/registers.md).
    registers_dir: Path | None = None
    # Publish the complete records of people who may be alive (withheld.nq); never by default.
    include_withheld: bool = False
    # The persistent store dist/store/: True writes it even without registers, False never
    # (validated dumps only, e.g. to publish elsewhere), None with registers only (what serve
    # opens without parsing a million records).
    store: bool | None = None

    def __post_init__(self) -> None:
        check_base(self.base)
        for name, default in (("data_dir", "data"), ("ontology_dir", "ontology"),
                              ("out_dir", "dist"), ("queries_dir", "queries"),
                              ("registers_dir", "registers")):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.root / default)

    @property
    def ontology_file(self) -> Path:
        return self.ontology_dir / "siberia-kg.ttl"  # type: ignore[operator]

    @property
    def shapes_file(self) -> Path:
        return self.ontology_dir / "shapes.ttl"  # type: ignore[operator]


def settings_from(base: str | None = None, out: str | os.PathLike | None = None,
                  data: str | os.PathLike | None = None,
                  registers: str | os.PathLike | None = None,
                  include_withheld: bool = False, store: bool | None = None) -> Settings:
    """Flags win over SIBERIA_KG_* environment variables, which win over defaults.

    ``include_withheld`` has no environment variable on purpose: publishing the records of
    people who may be alive must be asked for on the command line, each time."""
    env = os.environ
    kwargs: dict = {}
    b = base or env.get("SIBERIA_KG_BASE")
    if b:
        kwargs["base"] = b
    if env.get("SIBERIA_KG_ROOT"):
        kwargs["root"] = Path(env["SIBERIA_KG_ROOT"]).resolve()
    o = out or env.get("SIBERIA_KG_DIST")
    if o:
        kwargs["out_dir"] = Path(o).resolve()
    d = data or env.get("SIBERIA_KG_DATA")
    if d:
        kwargs["data_dir"] = Path(d).resolve()
    r = registers or env.get("SIBERIA_KG_REGISTERS")
    if r:
        kwargs["registers_dir"] = Path(r).resolve()
    if include_withheld:
        kwargs["include_withheld"] = True
    if store is not None:
        kwargs["store"] = store
    elif env.get("SIBERIA_KG_STORE", "") not in ("", "0"):
        kwargs["store"] = True
    return Settings(**kwargs)
