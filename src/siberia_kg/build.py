"""ontology + data (+ person registers) -> checked, derived, validated graph -> dump files and
the persistent store, written atomically.

The curated data (data/*.trig) are small: loaded with rdflib, checked, validated with pyshacl,
serialised from sorted lists. Person registers (registers/<SLUG>/, see docs/registers.md) can
hold millions of records, so they never go through rdflib: their declarations (source.trig) are
checked like curated data, their records (register.nq) are streamed into the per-register dumps
and validated a slice of records at a time in worker processes (the SHACL shapes run as SPARQL
on Oxigraph), while a child process writes their N-Triples and Turtle dumps and another, at a
lower priority, bulk-loads everything into the persistent Oxigraph store dist/store/. Everything
is written into a new folder, synced to disk, and swapped in place of dist/ in one step, so a
failed build (a register that does not validate, say) leaves the previous dist/ whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gc
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCTERMS, RDF, SKOS

from . import __version__
from .config import Settings
from .derive import derive
from .describe import describe
from .dumps import (FORMATS, FlatDumpsProcess, HashingWriter, is_canonical_block, line_blocks,
                    serialize_quads, serialize_triples, sorted_quads,
                    sorted_triples)
from .load import DataError, LoadedData, Problem, _rel, data_files, load
from .namespaces import DEFAULT_BASE, ONTOLOGY_IRI, SKG, all_prefixes, entity_kind, rebase
from .store import STORE_DIR, STORE_MARKER, GraphStore
from .store.bulk import LoadSyntaxError as _LoadSyntaxError, StoreLoad
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

# Person registers
REGISTER_FILES = ("source.trig", "register.nq", "meta.json")
REGISTER_DUMP = f"{DUMP_NAME}-register-"  # + SLUG + suffix
REGISTER_FORMATS = ("nquads", "ntriples", "turtle")
REGISTER_TITLES = {
    "nquads": "the register {title}: its source declaration, then every record in the "
              "register's citation graph, as N-Quads",
    "ntriples": "the register {title} as N-Triples (no graph names), one statement a line",
    "turtle": "the register {title} as Turtle (no graph names), one block per record",
}
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Without the scalable validator (siberia_kg.shacl_sparql), registers are validated with pyshacl,
# which needs about 1.2 KB of memory and 40 us per triple: only up to this many record quads.
FALLBACK_VALIDATION_LIMIT = 200_000
MAX_PROBLEMS = 20  # contract problems listed per register file before "and N more"


class ValidationFailed(Exception):
    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(f"{len(violations)} SHACL violation(s)")


@dataclass
class Register:
    """One register folder, its declarations checked (source.trig, derived like curated data)."""
    slug: str
    folder: Path
    shown: str                 # the folder as shown in messages (relative to the project)
    meta: dict
    loaded: LoadedData         # source.trig: the source document and its citation
    document: URIRef
    citation: URIRef
    title: str
    from_base: str             # the base its IRIs were written with (meta.json)
    base: str                  # the build's base (its IRIs after rebasing)

    @property
    def records(self) -> Path:
        return self.folder / "register.nq"

    @property
    def withheld(self) -> Path:
        return self.folder / "withheld.nq"

    @property
    def person_prefix(self) -> str:
        return f"{self.base}id/person/register-{self.slug}-"

    def dump_name(self, fmt: str) -> str:
        return f"{REGISTER_DUMP}{self.slug}{FORMATS[fmt][0]}"


@dataclass
class Compiled:
    loaded: LoadedData
    union: Graph
    ontology: Graph
    shapes: Graph
    derived: int
    registers: list[Register] = field(default_factory=list)


@dataclass
class BuildResult:
    out_dir: Path
    files: list[dict] = field(default_factory=list)
    triples: int = 0
    quads: int = 0
    graphs: int = 0
    registers: list[dict] = field(default_factory=list)  # per register: slug, triples, entities
    store: Path | None = None
    phases: list[tuple[str, float]] = field(default_factory=list)  # (phase, seconds wall)


# The phases of the running build, for `build --timings` and bench/ (one build at a time: lock).
_PHASES: list[tuple[str, float]] = []


_T0 = [0.0]  # when the running build started


def _milestone(name: str) -> None:
    """A moment of the build, in seconds since its start (phases overlap, so their sum is not
    the time at which something was ready)."""
    _PHASES.append((f"{name} (seconds since the build started)", time.perf_counter() - _T0[0]))


@contextlib.contextmanager
def _phase(name: str):
    t = time.perf_counter()
    try:
        yield
    finally:
        _PHASES.append((name, time.perf_counter() - t))


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
    """Load and check the data and the registers' declarations, add derived triples.
    Raises DataError listing every problem of both."""
    ontology = load_ontology(settings)
    shapes = load_shapes(settings)
    problems: list[Problem] = []
    loaded = None
    try:
        loaded = load(settings.data_dir, ontology, base=settings.base, root=settings.root)
    except DataError as e:
        problems += e.problems
    try:
        registers = read_registers(settings, ontology)
    except DataError as e:
        problems += e.problems
    if problems:
        raise DataError(problems)
    n = derive(loaded.dataset)
    union = union_graph(loaded.dataset, settings.base)
    return Compiled(loaded=loaded, union=union, ontology=ontology, shapes=shapes, derived=n,
                    registers=registers)


def check(settings: Settings) -> tuple[Compiled, list[Violation]]:
    """The curated graph validated with pyshacl, together with the registers' declarations (their
    source documents and citations: small); the registers' records are validated by the build,
    on the store (see _validate_registers)."""
    compiled = compile_graph(settings)
    data, origins = compiled.union, compiled.loaded.origins
    if compiled.registers:
        data = Graph()
        for prefix, ns in compiled.union.namespaces():
            data.bind(prefix, ns, override=True)
        for t in compiled.union:
            data.add(t)
        origins = dict(origins)
        for reg in compiled.registers:
            for s, p, o, _ in reg.loaded.dataset.quads((None, None, None, None)):
                data.add((s, p, o))
            for node, files in reg.loaded.origins.items():
                origins[node] = set(origins.get(node, ())) | set(files)
    violations = run_shacl(data, compiled.shapes, compiled.ontology, origins=origins)
    return compiled, violations


# --- registers: finding and checking their folders -------------------------------------------

def register_folders(settings: Settings) -> list[Path]:
    """registers/<SLUG>/ folders, by name; names starting with a dot (an import under way, a
    lock) and plain files (a failed import's <SLUG>.rejects.csv) are not registers."""
    d = settings.registers_dir
    if d is None or not d.is_dir():
        return []
    return sorted((p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def read_registers(settings: Settings, ontology: Graph) -> list[Register]:
    """Every register folder, its declarations checked with the loader's contract rules: the
    files are there, source.trig parses, holds only the default graph and declares exactly the
    register's source document src:register-SLUG and its citation cit:register-SLUG (with
    skg:source and skg:locator). Raises DataError listing every problem."""
    problems: list[Problem] = []
    out: list[Register] = []
    folders = register_folders(settings)
    slugs = [f.name for f in folders]
    for folder in folders:
        slug = folder.name
        shown = _rel(folder, settings.root)
        if not SLUG_RE.fullmatch(slug):
            problems.append(Problem(shown, "a register folder is named by its slug: lower-case "
                                           "letters and digits joined by single hyphens"))
            continue
        clash = [o for o in slugs if o != slug and o.startswith(slug + "-")]
        if clash:
            problems.append(Problem(shown, f"the slugs {slug!r} and {clash[0]!r} overlap: person "
                                           f"IRIs register-{slug}-... of the two could collide; "
                                           "re-import one of them under another slug"))
        missing = [f for f in REGISTER_FILES if not (folder / f).is_file()]
        if missing:
            problems.append(Problem(shown, f"not a complete register: {', '.join(missing)} "
                                           "missing (import it with siberia-kg import register)"))
            continue
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as e:
            problems.append(Problem(f"{shown}/meta.json", f"cannot read: {e}"))
            continue
        if meta.get("source", slug) != slug:
            problems.append(Problem(f"{shown}/meta.json",
                                    f"names the register {meta.get('source')!r}, but its folder "
                                    f"is {slug!r}"))
            continue
        from_base = meta.get("base") or DEFAULT_BASE
        if from_base not in (DEFAULT_BASE, settings.base):
            problems.append(Problem(shown, f"imported with the base {from_base}, but the build's "
                                           f"base is {settings.base}: build with --base "
                                           f"{from_base}, or import the register again with "
                                           f"--base {settings.base} (or the default base)"))
            continue
        try:
            loaded = load(folder, ontology, base=settings.base, root=settings.root)
        except DataError as e:
            problems += e.problems
            continue
        reg_problems = _declaration_problems(loaded, settings.base, slug, f"{shown}/source.trig")
        if reg_problems:
            problems += reg_problems
            continue
        derive(loaded.dataset)
        doc = URIRef(f"{settings.base}id/source/register-{slug}")
        default = loaded.dataset.default_graph
        title = default.value(doc, DCTERMS.title) or default.value(doc, SKOS.prefLabel) or slug
        out.append(Register(slug=slug, folder=folder, shown=shown, meta=meta, loaded=loaded,
                            document=doc,
                            citation=URIRef(f"{settings.base}id/citation/register-{slug}"),
                            title=str(title), from_base=from_base, base=settings.base))
    if problems:
        raise DataError(problems)
    return out


def _declaration_problems(loaded: LoadedData, base: str, slug: str, shown: str) -> list[Problem]:
    doc = URIRef(f"{base}id/source/register-{slug}")
    cit = URIRef(f"{base}id/citation/register-{slug}")
    problems = []
    for s, p, o, g in loaded.dataset.quads((None, None, None, None)):
        if g is not None and g != DATASET_DEFAULT_GRAPH_ID:
            problems.append(Problem(shown, f"a statement in the graph <{g}>: source.trig holds only "
                                           "the default graph (the records are in register.nq)"))
            break
        if s not in (doc, cit):
            problems.append(Problem(shown, f"declares <{s}>: source.trig declares only the "
                                           f"register's source document <{doc}> and its "
                                           f"citation <{cit}>"))
            break
    default = loaded.dataset.default_graph
    for triple, what in (((doc, RDF.type, SKG.SourceDocument), f"<{doc}> a skg:SourceDocument"),
                         ((cit, RDF.type, SKG.Citation), f"<{cit}> a skg:Citation"),
                         ((cit, SKG.source, doc), f"<{cit}> skg:source <{doc}>"),
                         ((cit, SKG.locator, None), f"<{cit}> skg:locator \"...\"")):
        if triple not in default:
            problems.append(Problem(shown, f"missing the declaration {what}"))
    return problems


# --- is dist/ stale? -------------------------------------------------------------------------

def _digest_cache_file(settings: Settings) -> Path:
    out: Path = settings.out_dir  # type: ignore[assignment]
    return out.parent / f".{out.name}.digestcache"


def _file_sha256(path: Path, cache: dict, fresh: dict) -> str:
    """The SHA-256 of a (large) file, from the cache when its size, mtime and inode are those
    recorded. A file changed within the last two seconds is hashed and not cached (its mtime
    could still change without its size)."""
    st = path.stat()
    key = [st.st_size, st.st_mtime_ns, st.st_ino]
    hit = cache.get(str(path))
    if isinstance(hit, list) and hit[:3] == key and len(hit) == 4:
        fresh[str(path)] = hit
        return hit[3]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    digest = h.hexdigest()
    if time.time_ns() - st.st_mtime_ns > 2_000_000_000:
        fresh[str(path)] = key + [digest]
    return digest


def input_digest(settings: Settings) -> str:
    """A fingerprint of everything a build reads, to tell whether dist/ is stale: the ontology,
    the shapes, the data files, every register folder (and the options that change the output).

    Registers' record files are large: their hashes are kept in dist/'s sibling
    .dist.digestcache by size, mtime and inode, so that checking a million records costs a
    stat, not a read of gigabytes."""
    h = hashlib.sha256()
    h.update(f"{__version__}\0{settings.base}\0".encode())
    for path in [settings.ontology_file, settings.shapes_file, *data_files(settings.data_dir)]:
        h.update(str(path.relative_to(settings.root) if path.is_relative_to(settings.root)
                     else path).encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    folders = register_folders(settings)
    if not folders and not settings.store and not settings.include_withheld:
        return h.hexdigest()  # as before registers existed
    h.update(f"registers\0store={settings.store}\0withheld={settings.include_withheld}\0".encode())
    cache_file = _digest_cache_file(settings)
    try:
        cache = json.loads(cache_file.read_text())
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    fresh: dict = {}
    for folder in folders:
        h.update(f"{folder.name}\0".encode())
        names = ["source.trig", "meta.json", "register.nq"]
        if settings.include_withheld:
            names.append("withheld.nq")
        for name in names:
            path = folder / name
            h.update(name.encode() + b"\0")
            if not path.is_file():
                h.update(b"<missing>\0")
            elif name.endswith(".nq"):
                h.update(_file_sha256(path, cache, fresh).encode() + b"\0")
            else:
                h.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\0")
    if fresh != {k: v for k, v in cache.items() if k in fresh} or set(cache) - set(fresh):
        with contextlib.suppress(OSError):
            _atomic_text(cache_file, json.dumps(fresh, sort_keys=True))
    return h.hexdigest()


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def is_current(settings: Settings) -> bool:
    out: Path = settings.out_dir  # type: ignore[assignment]
    marker = out / MARKER
    try:
        recorded = json.loads(marker.read_text())
        digest = recorded["input"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not all((out / f"{DUMP_NAME}{FORMATS[f][0]}").is_file() for f in FORMATS):
        return False
    files = recorded.get("files") if isinstance(recorded.get("files"), dict) else {}
    if not all((out / name).is_file() for name in files):
        return False
    if recorded.get("store") and not (out / STORE_DIR / STORE_MARKER).is_file():
        return False
    return digest == input_digest(settings)


def build(settings: Settings) -> BuildResult:
    """Validate, then write every dump (and the store) into a fresh folder and swap it in place
    of out_dir."""
    _PHASES.clear()
    _T0[0] = time.perf_counter()
    digest = input_digest(settings)  # before reading: a change during the build makes it stale
    with _phase("load, check, derive, SHACL on the curated graph"):
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
            result = _write_all(compiled, settings, tmp, digest)
            with _phase("sync to disk"):
                _sync_tree(tmp)
            with _phase("swap the new folder in"):
                _swap_in(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    result.out_dir = out_dir
    if result.store is not None:
        result.store = out_dir / STORE_DIR
    result.phases = list(_PHASES)
    return result


def _write_all(compiled: Compiled, settings: Settings, folder: Path,
               digest: str | None = None) -> BuildResult:
    prefixes = all_prefixes(settings.base)
    ds = compiled.loaded.dataset
    quads = sorted_quads(ds.quads((None, None, None, None)))
    triples = sorted_triples(quads)
    graphs = {q[3] for q in quads if q[3] is not None}
    result = BuildResult(out_dir=folder, triples=len(triples), quads=len(quads), graphs=len(graphs))

    dumps = []
    t_curated = time.perf_counter()
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

    _PHASES.append(("curated dumps", time.perf_counter() - t_curated))
    registers: list[dict] = []
    register_files: list[dict] = []
    store_info: dict | None = None
    if compiled.registers or settings.store:
        registers, store_info = _write_registers_and_store(compiled, settings, folder, quads,
                                                           triples)
        register_files = [d for r in registers for d in r["dumps"]]
        result.registers = [{k: r[k] for k in ("slug", "triples", "entities")} for r in registers]
        result.store = folder / STORE_DIR if store_info is not None else None

    sources = sorted(URIRef(s) for s in compiled.union.subjects(RDF.type, SKG.SourceDocument))
    sources += [reg.document for reg in compiled.registers]
    void = describe(compiled.union, settings.base, dumps, sources, registers=registers,
                    include_withheld=settings.include_withheld)
    void_bytes = serialize_triples(sorted_triples((s, p, o, None) for s, p, o in void),
                                   "turtle", {**prefixes, **{p: str(n) for p, n in void.namespaces()}})
    _write(folder / "void.ttl", void_bytes)
    dumps.append({"name": "void.ttl", "media_type": "text/turtle", "size": len(void_bytes),
                  "sha256": hashlib.sha256(void_bytes).hexdigest(),
                  "title": "VoID and DCAT description of the dataset", "statements": len(void)})
    dumps += register_files

    marker = {"tool": "siberia-kg", "version": __version__, "base": settings.base,
              "input": digest if digest is not None else input_digest(settings),
              "files": {d["name"]: {"size": d["size"], "sha256": d["sha256"],
                                    "media_type": d["media_type"], "title": d["title"],
                                    "statements": d["statements"]} for d in dumps}}
    if registers or store_info:
        marker["include_withheld"] = settings.include_withheld
        marker["registers"] = {r["slug"]: _marker_entry(r) for r in registers}
        marker["store"] = store_info
    _write(folder / MARKER, (json.dumps(marker, indent=1, sort_keys=True) + "\n").encode())
    result.files = dumps
    return result


def _marker_entry(r: dict) -> dict:
    meta = r["meta"]
    return {"title": r["title"], "source": r["document"], "citation": r["citation"],
            "files": [d["name"] for d in r["dumps"]], "triples": r["triples"],
            "entities": r["entities"], "withheld_included": r["withheld_included"],
            "as_of": meta.get("as_of"), "counts": meta.get("counts", {}),
            "csv": meta.get("file", {})}


# --- registers: dumps, store, validation ------------------------------------------------------

def _write_registers_and_store(compiled: Compiled, settings: Settings, folder: Path,
                               quads: list, triples: list) -> tuple[list[dict], dict | None]:
    """Write each register's N-Quads dump; then, side by side: the registers' records validated
    in worker processes (chunked_validation), their N-Triples and Turtle dumps written by a
    child process, and the persistent store (curated graph, ontology and registers) bulk-loaded
    by another at a lower priority (store.bulk), so that the verdict and the dumps come first
    and a register that does not validate stops the load at once. Returns one description per
    register (for void.ttl and the marker) and the store's statistics (also written beside the
    store, so that a server need not count a million records to describe its endpoint), or
    None when no store is written (``--no-store``)."""
    prefixes = _register_prefixes(settings.base)
    regs = compiled.registers
    infos: list[dict] = []
    problems: list[Problem] = []
    with _phase("register N-Quads dumps (copy and check)"):
        for reg in regs:
            try:
                infos.append(_write_register_nquads(reg, settings, folder))
            except DataError as e:
                problems += e.problems
    if problems:
        raise DataError(problems)

    store_dir = folder / STORE_DIR
    store_files = ([(folder / f"{DUMP_NAME}.nq", "nquads", None),
                    (folder / ONTOLOGY_DUMP, "turtle", str(ONTOLOGY_IRI))]
                   + [(info["path"], "nquads", None) for info in infos])
    keep_store = settings.store is not False
    flat = checking = loader = None

    def load_store() -> tuple[GraphStore, int]:
        nonlocal loader
        if loader is None:
            loader = StoreLoad(store_dir, store_files)
        try:
            total = loader.result()
        except _LoadSyntaxError as e:
            reg = regs[e.index - 2] if e.index >= 2 else None
            if reg is None:
                raise RuntimeError(f"the build's own dump could not be loaded: {e.message}")
            raise DataError([_syntax_problem(reg, e.message, e.lineno,
                                             infos[e.index - 2]["header_lines"])]) from None
        return GraphStore(store_dir), total

    store: GraphStore | None = None
    try:
        if regs:
            flat = FlatDumpsProcess([_flat_job(reg, info, folder, prefixes)
                                     for reg, info in zip(regs, infos)])
            checking = _start_chunked_validation(compiled, settings, folder, infos)
        if keep_store or (regs and checking is None):
            loader = StoreLoad(store_dir, store_files)
        total = None
        with _phase("validate registers"):
            found = _chunked_verdict(checking)
            if found is None and regs:  # no chunked verdict: validate on the whole store
                store, total = load_store()
                found = _validate_registers(store, compiled, settings, infos)
            elif found is not None:
                found = sorted({_with_file(v, compiled, settings.base) for v in found})
        if found:
            raise ValidationFailed(found)
        with _phase("N-Triples and Turtle dumps (wait)"):
            results = flat.result() if flat is not None else []
        _milestone("registers validated and every dump written")
        # Without duplicate statements (the importer writes none) every count is the files':
        # no need to count millions of quads again on a store.
        if checking is not None and checking.exact and all(i["canonical"] for i in infos):
            exact = True
        else:
            exact = None  # decided by the store below
        if keep_store or not exact:
            with _phase("load store (wait)"):
                if store is None:
                    store, total = load_store()
            if exact is None:
                exact = total == (len(quads) + len(compiled.ontology)
                                  + sum(i["lines"] for i in infos))
        for reg, info, res in zip(regs, infos, results):
            _take_flat(reg, info, res, exact, store)
        statistics = None
        if keep_store:
            statistics = _store_statistics(store, compiled, quads, triples, infos, total,
                                           settings.base)
    except BaseException:
        for child in (flat, loader):
            if child is not None:
                child.kill()
        if checking is not None:
            checking.cancel()
        raise
    finally:
        del store
        gc.collect()  # closes the store (RocksDB) before its folder is swapped in or removed
    if not keep_store:
        shutil.rmtree(store_dir, ignore_errors=True)  # only loaded to count a hand-made file
        return [_register_description(reg, info) for reg, info in zip(regs, infos)], None

    store_info = {"folder": STORE_DIR, **statistics}
    (store_dir / STORE_MARKER).write_text(json.dumps(
        {"tool": "siberia-kg", "version": __version__, "base": settings.base, **store_info},
        indent=1, sort_keys=True) + "\n")
    return [_register_description(reg, info) for reg, info in zip(regs, infos)], store_info


def _chunked_verdict(checking) -> list | None:
    """The violations found slice by slice, or None when the registers must be validated on the
    whole store: no chunked validation, a record split across its file, or a slice that does
    not parse (the store's load then names the file and line)."""
    if checking is None:
        return None
    from .chunked_validation import NotIndependent

    try:
        return checking.result()
    except (NotIndependent, SyntaxError):
        return None


def _register_prefixes(base: str) -> dict[str, str]:
    """The prefixes a register's Turtle uses (not the curated graph's dozen and a half)."""
    keep = ("rdf", "rdfs", "xsd", "skos", "dcterms", "schema", "skg", "person", "camp", "place",
            "cit", "src")
    every = all_prefixes(base)
    return {k: every[k] for k in keep}


def _store_statistics(store: GraphStore, compiled: Compiled, quads: list, triples: list,
                      infos: list[dict], total: int, base: str) -> dict:
    """Quads in the store, triples in each named graph and in the default graph, and distinct
    triples of the union default graph: counted here once (the curated graph from its lists,
    the registers from their files or, with duplicate lines, on the store) rather than by every
    server at start."""
    graphs: dict[str, int] = {}
    default = 0
    for q in quads:
        if q[3] is None:
            default += 1
        else:
            graphs[str(q[3])] = graphs.get(str(q[3]), 0) + 1
    graphs[str(ONTOLOGY_IRI)] = len(compiled.ontology)
    union = len(set(triples) | set(compiled.ontology))
    # Entities (IRIs of ours) per class, as the class index pages count them.
    classes: dict[str, int] = {}
    for s, p, o in triples:
        if p == RDF.type and entity_kind(str(s), base) is not None:
            classes[str(o)] = classes.get(str(o), 0) + 1
    for info in infos:
        n = info["graph_triples"]
        graphs[info["citation"]] = n
        default += info["header_lines"]
        union += n + info["header_lines"]  # disjoint: the register's own records and sources
        for c, k in info["classes"].items():
            classes[c] = classes.get(c, 0) + k
    return {"quads": total, "default_graph": default, "union_triples": union,
            "named_graphs": dict(sorted(graphs.items())), "classes": dict(sorted(classes.items()))}


def _register_description(reg: Register, info: dict) -> dict:
    counts = reg.meta.get("counts") if isinstance(reg.meta.get("counts"), dict) else {}
    return {"slug": reg.slug, "title": reg.title, "document": str(reg.document),
            "citation": str(reg.citation), "meta": reg.meta, "dumps": info["dumps"],
            "triples": info["triples"], "entities": info["entities"],
            "classes": info["classes"], "properties": info["properties"],
            "withheld": int(counts.get("withheld") or 0),
            "withheld_included": info["withheld_included"]}


def _syntax_problem(reg: Register, message: str, lineno: int | None,
                    header_lines: int) -> Problem:
    line = (lineno or 0) - header_lines
    where = f"{reg.shown}/register.nq" + (f":{line}" if line > 0 else "")
    msg = re.sub(r"^Parser error at line \d+ between columns \d+ and \d+: ", "", str(message))
    return Problem(where, f"syntax error: {msg}")


def _write_register_nquads(reg: Register, settings: Settings, folder: Path) -> dict:
    """siberia-kg-register-SLUG.nq: the register's declarations (default graph: its source
    document and citation, with the derived labels), then its records, copied from register.nq
    in blocks of whole lines (or, with --include-withheld, with the placeholders of withheld
    records replaced by their complete records from withheld.nq). On the way every record line
    is checked to stand in the register's citation graph and to hold no blank node (the data
    contract); a line that is not canonical N-Quads is checked by parsing."""
    name = reg.dump_name("nquads")
    header = serialize_quads(sorted_quads(reg.loaded.dataset.quads((None, None, None, None))),
                             "nquads", {})
    include = settings.include_withheld and reg.withheld.is_file()
    checker = _RecordChecker(reg)
    with open(folder / name, "wb") as f:
        w = HashingWriter(f)
        w.write(header)
        if reg.from_base != settings.base:
            _copy_rebased(reg, w, settings.base, checker, include)
        else:
            skip: set[bytes] = set()
            if include:
                skip = {line[:line.find(b" ")] for block in line_blocks(reg.withheld)
                        for line in block.splitlines() if line.strip()}
            for block in line_blocks(reg.records):
                if skip:
                    block = b"".join(line for line in block.splitlines(keepends=True)
                                     if line[:line.find(b" ")] not in skip)
                checker.check(block, "register.nq")
                w.write(block)
            if include:
                for block in line_blocks(reg.withheld):
                    checker.check(block, "withheld.nq")
                    w.write(block)
        # not synced here: _sync_tree syncs every file once before the swap, by when the
        # kernel has written most of these gigabytes back on its own
    checker.finish()
    media = FORMATS["nquads"][1]
    return {"slug": reg.slug, "nq": name, "path": folder / name, "citation": str(reg.citation),
            "header_lines": header.count(b"\n"),
            "header": header, "canonical": checker.canonical, "lines": w.lines,
            "withheld_included": include,
            "dumps": [{"name": name, "media_type": media, "size": w.size, "sha256": w.sha256,
                       "title": REGISTER_TITLES["nquads"].format(title=reg.title),
                       "statements": w.lines}]}


class _RecordChecker:
    """The data contract on a register's record lines, at the speed of bytes.count: every line
    ends with the register's citation graph, and no blank node appears. A block that fails the
    quick test is parsed, to find the real problems (or none: N-Quads that is merely not
    canonical, with other spacing or comments, is fine, but the N-Triples dump must then be
    written by parsing)."""

    def __init__(self, reg: Register):
        self.reg = reg
        self.suffix = f" <{reg.citation}> .\n".encode()
        self.canonical = True
        self.problems: list[Problem] = []
        self.more = 0
        self.lines = {"register.nq": 0, "withheld.nq": 0}

    def check(self, block: bytes, file: str) -> None:
        first = self.lines[file] + 1
        self.lines[file] += block.count(b"\n")
        if is_canonical_block(block, self.suffix) and b"_:" not in block:
            return
        self.canonical = False
        cit = ox.NamedNode(str(self.reg.citation))
        for i, line in enumerate(block.splitlines()):
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            try:
                quads = list(ox.parse(input=line, format=ox.RdfFormat.N_QUADS))
            except SyntaxError as e:
                self._add(file, first + i, f"syntax error: {e.msg if hasattr(e, 'msg') else e}")
                continue
            for q in quads:
                if q.graph_name != cit:
                    where = ("the default graph" if isinstance(q.graph_name, ox.DefaultGraph)
                             else f"the graph {q.graph_name}")
                    self._add(file, first + i, f"a statement in {where}: every record statement "
                                               f"sits in the register's citation graph <{cit.value}>")
                if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
                    self._add(file, first + i, "a blank node: every node needs an IRI so that "
                                               "builds are reproducible and linkable")

    def _add(self, file: str, line: int, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(f"{self.reg.shown}/{file}:{line}", message))
        else:
            self.more += 1

    def finish(self) -> None:
        if self.problems:
            extra = ([Problem(f"{self.reg.shown}", f"and {self.more} more problem(s) of the kind")]
                     if self.more else [])
            raise DataError(self.problems + extra)


def _copy_rebased(reg: Register, w: HashingWriter, base: str, checker: _RecordChecker,
                  include: bool) -> None:
    """Records written under the default base, rewritten to the build's --base by parsing
    (a literal may contain text that looks like an IRI, so bytes are not replaced)."""
    def term(t):
        if isinstance(t, ox.NamedNode):
            new = rebase(t.value, base)
            return t if new == t.value else ox.NamedNode(new)
        return t

    skip: set[str] = set()
    if include:
        skip = {q.subject.value for q in ox.parse(path=str(reg.withheld),
                                                  format=ox.RdfFormat.N_QUADS)
                if isinstance(q.subject, ox.NamedNode)}
    old_cit = ox.NamedNode(DEFAULT_BASE + str(reg.citation)[len(base):])

    def quads():
        files = [reg.records] + ([reg.withheld] if include else [])
        for path in files:
            for i, q in enumerate(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS), 1):
                if path == reg.records and isinstance(q.subject, ox.NamedNode) \
                        and q.subject.value in skip:
                    continue
                if q.graph_name != old_cit or isinstance(q.subject, ox.BlankNode) \
                        or isinstance(q.object, ox.BlankNode):
                    checker._add(path.name, i, f"a statement outside the register's citation "
                                               f"graph <{old_cit.value}>, or with a blank node")
                    continue
                yield ox.Quad(term(q.subject), q.predicate, term(q.object), term(q.graph_name))

    ox.serialize(quads(), output=w, format=ox.RdfFormat.N_QUADS)
    checker.canonical = True  # written by pyoxigraph: canonical


def _flat_job(reg: Register, info: dict, folder: Path, prefixes: dict) -> dict:
    return {"nq": str(info["path"]), "nt": str(folder / reg.dump_name("ntriples")),
            "ttl": str(folder / reg.dump_name("turtle")), "header": info["header"],
            "suffix": f" <{reg.citation}> .\n".encode(), "canonical": info["canonical"],
            "prefixes": prefixes, "ours": f"{reg.base}id/", "citation": str(SKG.citation)}


def _take_flat(reg: Register, info: dict, res: dict, exact: bool, store: GraphStore) -> None:
    """The N-Triples and Turtle dumps the child wrote, and the register's counts: from the files
    when they hold no duplicate statement (``exact``), else counted on the store."""
    for fmt in ("ntriples", "turtle"):
        info["dumps"].append({"name": reg.dump_name(fmt), "media_type": FORMATS[fmt][1],
                              "size": res[fmt]["size"], "sha256": res[fmt]["sha256"],
                              "title": REGISTER_TITLES[fmt].format(title=reg.title),
                              "statements": res["ntriples"]["lines"]})
    info["triples"] = res["ntriples"]["lines"]
    if exact:
        counts = res["counts"]
        header = {}
        for q in ox.parse(input=info["header"], format=ox.RdfFormat.N_QUADS):
            header[q.predicate.value] = header.get(q.predicate.value, 0) + 1
        properties = dict(counts["properties"])
        classes = dict(counts["classes"])
        for p, n in header.items():  # the declarations are counted with the records
            properties[p] -= n
        citing = counts["citing"]
        # the declarations' types are counted again by _count_declarations
        for q in ox.parse(input=info["header"], format=ox.RdfFormat.N_QUADS):
            if q.predicate.value == str(RDF.type) and q.subject.value.startswith(f"{reg.base}id/"):
                classes[q.object.value] -= 1
        info.update(entities=citing, classes={k: v for k, v in classes.items() if v},
                    properties={k: v for k, v in properties.items() if v},
                    graph_triples=info["lines"] - info["header_lines"])
    else:
        info.update(_register_counts(store, reg))
        info["graph_triples"] = int(next(iter(store.raw.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{reg.citation}> {{ ?s ?p ?o }} }}")))["n"].value)
        # the graph's triples, not the file's lines: a hand-edited file may repeat a statement
        info["triples"] = info["graph_triples"] + info["header_lines"]
    _count_declarations(info)


def _register_counts(store: GraphStore, reg: Register) -> dict:
    """Entities (subjects citing the register), entities per class and triples per property of
    the register's graph, counted on the store (some ten seconds a million records)."""
    g = f"<{reg.citation}>"
    raw = store.raw
    entities = next(iter(raw.query(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH {g} {{ ?s <{SKG.citation}> {g} }} }}")))
    ours = json.dumps(f"{reg.base}id/")
    classes = {str(r["c"].value): int(r["n"].value) for r in raw.query(
        f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH {g} {{ ?s a ?c }} "
        f"FILTER(STRSTARTS(STR(?s), {ours})) }} GROUP BY ?c")}
    properties = {str(r["p"].value): int(r["n"].value) for r in raw.query(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }} GROUP BY ?p")}
    return {"entities": int(entities["n"].value), "classes": classes, "properties": properties}


def _count_declarations(info: dict) -> None:
    """Add the register's declarations (its source document and citation, in the default graph)
    to the counts of its records."""
    subjects = set()
    for q in ox.parse(input=info["header"], format=ox.RdfFormat.N_QUADS):
        subjects.add(q.subject.value)
        p = q.predicate.value
        info["properties"][p] = info["properties"].get(p, 0) + 1
        if p == str(RDF.type):
            info["classes"][q.object.value] = info["classes"].get(q.object.value, 0) + 1
    info["entities"] += len(subjects)


def _start_chunked_validation(compiled: Compiled, settings: Settings, folder: Path,
                              infos: list[dict]):
    """The registers' records validated slice by slice in worker processes (see
    chunked_validation), started now so that the store is bulk-loaded meanwhile; None when
    the scalable validator is not available."""
    if _scalable_validator() is None or os.environ.get("SIBERIA_KG_WHOLE_STORE_VALIDATION"):
        return None
    from .chunked_validation import ChunkedValidation

    prefix = f"{settings.base}id/person/register-"
    return ChunkedValidation(
        [(info["path"], info["citation"], prefix) for info in infos],
        curated=folder / f"{DUMP_NAME}.nq", ontology=folder / ONTOLOGY_DUMP,
        shapes=settings.shapes_file,
        namespaces={p: str(n) for p, n in compiled.union.namespaces()},
        declarations=b"".join(info["header"] for info in infos))


def _scalable_validator():
    """siberia_kg.shacl_sparql.validate_store (the SHACL shapes run as SPARQL on Oxigraph, the
    same verdicts and messages as pyshacl) when it is there; else None."""
    try:
        from .shacl_sparql import validate_store
    except ImportError:
        return None
    return validate_store


def _validate_registers(store: GraphStore, compiled: Compiled, settings: Settings,
                        infos: list[dict]) -> list[Violation]:
    """The SHACL shapes on the registers' records, with the curated graph and the ontology beside
    them in the store (so that sh:class on a matched camp sees the camp's type). Only the
    records are focus nodes: the curated graph and the registers' declarations have been
    validated by pyshacl already (check)."""
    if not compiled.registers:
        return []
    validate_store = _scalable_validator()
    if validate_store is not None:
        from .shacl_sparql import FocusFilter

        violations = validate_store(
            store.raw, compiled.shapes, compiled.ontology,
            focus_filter=FocusFilter(prefix=f"{settings.base}id/person/register-"),
            namespaces=compiled.union, origins=compiled.loaded.origins)
    else:
        violations = _validate_with_pyshacl(compiled, infos, settings)
    return sorted({_with_file(v, compiled, settings.base) for v in violations})


def _validate_with_pyshacl(compiled: Compiled, infos: list[dict],
                           settings: Settings) -> list[Violation]:
    from .store.terms import to_rdflib

    total = sum(i["lines"] for i in infos)
    if total > FALLBACK_VALIDATION_LIMIT:
        raise DataError([Problem(
            ", ".join(reg.shown for reg in compiled.registers),
            f"{total:,} register statements to validate: without the scalable validator "
            f"(siberia_kg.shacl_sparql, running the shapes as SPARQL on the store) this build "
            f"validates at most {FALLBACK_VALIDATION_LIMIT:,} with pyshacl")])
    data = Graph()
    for prefix, ns in compiled.union.namespaces():
        data.bind(prefix, ns, override=True)
    for t in compiled.union:
        data.add(t)
    for info in infos:  # the dumps just written: declarations and records
        for q in ox.parse(path=str(info["path"]), format=ox.RdfFormat.N_QUADS):
            data.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return run_shacl(data, compiled.shapes, compiled.ontology, origins=compiled.loaded.origins)


def _with_file(v: Violation, compiled: Compiled, base: str) -> Violation:
    """Name the register file of a violation whose focus node is a register's record (the focus
    is written <IRI> or person:register-SLUG-...)."""
    if v.files:
        return v
    focus = v.focus.strip("<>")
    for reg in sorted(compiled.registers, key=lambda r: -len(r.slug)):
        local = f"register-{reg.slug}-"
        if focus.startswith(reg.person_prefix) or focus.startswith(f"person:{local}"):
            return dataclasses.replace(v, files=f"{reg.shown}/register.nq")
        if focus in (str(reg.citation), str(reg.document), f"cit:register-{reg.slug}",
                     f"src:register-{reg.slug}"):
            return dataclasses.replace(v, files=f"{reg.shown}/source.trig")
    return v


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


def _sync_tree(folder: Path) -> None:
    """Every file and folder of the new build on disk before it is swapped in (once, at the end,
    rather than file by file while the build writes: a crash before the swap loses nothing
    that counts, and the writes meanwhile go back in the background)."""
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


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
    for dirpath, dirnames, filenames in os.walk(new):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
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
