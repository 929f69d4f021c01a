"""ontology + data -> checked, derived, validated graph -> dump files, written atomically."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from . import __version__
from .config import Settings
from .derive import derive
from .describe import describe
from .dumps import FORMATS, serialize_quads, serialize_triples, sorted_quads, sorted_triples
from .load import DataError, LoadedData, Problem, data_files, load
from .namespaces import SKG, all_prefixes
from .validate import Violation, run_shacl, union_graph

DUMP_NAME = "siberia-kg"
ONTOLOGY_DUMP = "siberia-kg-ontology.ttl"
MARKER = ".siberia-kg-build"
TITLES = {
    "turtle": "the whole graph as Turtle (all statements, no graph names)",
    "ntriples": "the whole graph as N-Triples, one sorted statement a line",
    "jsonld": "the whole graph as compact JSON-LD with a context",
    "rdfxml": "the whole graph as RDF/XML",
    "trig": "the graph with one named graph per citation, as TriG",
    "nquads": "the graph with one named graph per citation, as N-Quads",
}
FLAT = ("turtle", "ntriples", "jsonld", "rdfxml")
QUADS = ("trig", "nquads")


class ValidationFailed(Exception):
    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(f"{len(violations)} SHACL violation(s)")


@dataclass
class Compiled:
    loaded: LoadedData
    union: Graph
    ontology: Graph
    shapes: Graph
    derived: int


@dataclass
class BuildResult:
    out_dir: Path
    files: list[dict] = field(default_factory=list)
    triples: int = 0
    quads: int = 0
    graphs: int = 0


def _parse_rdf_file(path: Path, root: Path) -> Graph:
    from .load import _rel, _syntax_check

    shown = _rel(path, root)
    if not path.is_file():
        raise DataError([Problem(shown, "file not found")])
    problem = _syntax_check(path, shown)
    if problem:
        raise DataError([problem])
    return Graph().parse(str(path), format="turtle")


def load_ontology(settings: Settings) -> Graph:
    return _parse_rdf_file(settings.ontology_file, settings.root)


def load_shapes(settings: Settings) -> Graph:
    return _parse_rdf_file(settings.shapes_file, settings.root)


def compile_graph(settings: Settings) -> Compiled:
    """Load and check the data, add derived triples. Raises DataError."""
    ontology = load_ontology(settings)
    shapes = load_shapes(settings)
    loaded = load(settings.data_dir, ontology, base=settings.base, root=settings.root)
    n = derive(loaded.dataset)
    union = union_graph(loaded.dataset, settings.base)
    return Compiled(loaded=loaded, union=union, ontology=ontology, shapes=shapes, derived=n)


def check(settings: Settings) -> tuple[Compiled, list[Violation]]:
    compiled = compile_graph(settings)
    violations = run_shacl(compiled.union, compiled.shapes, compiled.ontology,
                           origins=compiled.loaded.origins)
    return compiled, violations


def input_digest(settings: Settings) -> str:
    """A fingerprint of everything a build reads, to tell whether dist/ is stale."""
    h = hashlib.sha256()
    h.update(f"{__version__}\0{settings.base}\0".encode())
    for path in [settings.ontology_file, settings.shapes_file, *data_files(settings.data_dir)]:
        h.update(str(path.relative_to(settings.root) if path.is_relative_to(settings.root)
                     else path).encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()


def is_current(settings: Settings) -> bool:
    marker = settings.out_dir / MARKER  # type: ignore[operator]
    try:
        recorded = json.loads(marker.read_text())["input"]
    except (OSError, ValueError, KeyError):
        return False
    return recorded == input_digest(settings) and all(
        (settings.out_dir / f"{DUMP_NAME}{FORMATS[f][0]}").is_file() for f in FORMATS)  # type: ignore[operator]


def build(settings: Settings) -> BuildResult:
    """Validate, then write every dump into a fresh folder and swap it in place of out_dir."""
    compiled, violations = check(settings)
    if violations:
        raise ValidationFailed(violations)
    out_dir: Path = settings.out_dir  # type: ignore[assignment]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _lock(out_dir):
        recover(out_dir)
        _guard_out_dir(out_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        try:
            result = _write_all(compiled, settings, tmp)
            _swap_in(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    result.out_dir = out_dir
    return result


def _write_all(compiled: Compiled, settings: Settings, folder: Path) -> BuildResult:
    prefixes = all_prefixes(settings.base)
    ds = compiled.loaded.dataset
    quads = sorted_quads(ds.quads((None, None, None, None)))
    triples = sorted_triples(quads)
    graphs = {q[3] for q in quads if q[3] is not None}
    result = BuildResult(out_dir=folder, triples=len(triples), quads=len(quads), graphs=len(graphs))

    dumps = []
    for fmt in FLAT + QUADS:
        suffix, media, _ = FORMATS[fmt]
        data = (serialize_quads(quads, fmt, prefixes) if fmt in QUADS
                else serialize_triples(triples, fmt, prefixes))
        name = f"{DUMP_NAME}{suffix}"
        _write(folder / name, data)
        dumps.append({"name": name, "media_type": media, "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(), "title": TITLES[fmt],
                      "statements": len(quads) if fmt in QUADS else len(triples)})

    onto = settings.ontology_file.read_bytes()
    _write(folder / ONTOLOGY_DUMP, onto)
    dumps.append({"name": ONTOLOGY_DUMP, "media_type": "text/turtle", "size": len(onto),
                  "sha256": hashlib.sha256(onto).hexdigest(),
                  "title": "the siberia-kg ontology (OWL, Turtle)",
                  "statements": len(compiled.ontology)})

    sources = sorted(URIRef(s) for s in compiled.union.subjects(RDF.type, SKG.SourceDocument))
    void = describe(compiled.union, settings.base, dumps, sources)
    void_bytes = serialize_triples(sorted_triples((s, p, o, None) for s, p, o in void),
                                   "turtle", {**prefixes, **{p: str(n) for p, n in void.namespaces()}})
    _write(folder / "void.ttl", void_bytes)
    dumps.append({"name": "void.ttl", "media_type": "text/turtle", "size": len(void_bytes),
                  "sha256": hashlib.sha256(void_bytes).hexdigest(),
                  "title": "VoID and DCAT description of the dataset", "statements": len(void)})

    marker = {"tool": "siberia-kg", "version": __version__, "base": settings.base,
              "input": input_digest(settings),
              "files": {d["name"]: {"size": d["size"], "sha256": d["sha256"],
                                    "media_type": d["media_type"], "title": d["title"],
                                    "statements": d["statements"]} for d in dumps}}
    _write(folder / MARKER, (json.dumps(marker, indent=1, sort_keys=True) + "\n").encode())
    result.files = dumps
    return result


@contextlib.contextmanager
def _lock(out_dir: Path):
    """One build at a time per output folder, so a second never tidies away the first's work."""
    with open(out_dir.parent / f".{out_dir.name}.lock", "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _guard_out_dir(out_dir: Path) -> None:
    """Refuse to replace a folder that holds anything but an earlier build's files."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise DataError([Problem(str(out_dir), "output path exists and is not a folder")])
    entries = list(out_dir.iterdir())
    if entries and not (out_dir / MARKER).is_file():
        raise DataError([Problem(str(out_dir),
                                 "output folder is not empty and was not written by siberia-kg "
                                 "build; refusing to replace it (choose another --out)")])


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _swap_in(new: Path, out_dir: Path) -> None:
    """Put new in the place of out_dir; readers see either the old build or the new, whole."""
    for f in new.iterdir():
        os.chmod(f, 0o644)
    os.chmod(new, 0o755)
    if out_dir.exists():
        if _exchange(new, out_dir):
            shutil.rmtree(new, ignore_errors=True)  # now holds the old build
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.rmdir(old)
            os.rename(out_dir, old)
            try:
                os.rename(new, out_dir)
            except BaseException:
                os.rename(old, out_dir)
                raise
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, out_dir)
    _fsync_dir(out_dir.parent)


def recover(out_dir: Path) -> None:
    """Tidy after a build killed mid-way: drop half-written folders, restore an old build
    left aside by the two-rename fallback."""
    parent = out_dir.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{out_dir.name}.old-*"))
    if not out_dir.exists() and olds:
        os.rename(olds[-1], out_dir)
        olds = olds[:-1]
    for leftover in [*olds, *parent.glob(f".{out_dir.name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
