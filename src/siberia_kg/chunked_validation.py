"""SHACL validation of person registers in chunks of whole records, in parallel processes.

A register's records are independent of one another: every statement of a record is about the
record's own person IRI and points only at curated entities (camps, places, concepts) or at
literals, never at another record. So the shapes' verdicts on a record depend only on its own
statements plus the curated graph and the ontology, and the register can be validated a slice
at a time: for each slice of the register's N-Quads (cut only where the subject changes, so
that no record is split), a worker process makes an in-memory Oxigraph store of the curated
graph, the ontology and the slice, and runs the shapes as SPARQL on it
(shacl_sparql.validate_store, the same verdicts and messages as pyshacl).

Against validating the whole register on the on-disk store this is about four times faster per
record (index look-ups in memory rather than in RocksDB), keeps memory bounded by the slice
size whatever the register's size, and runs beside the bulk load of the persistent store.

The independence is checked, not assumed: each worker returns a fingerprint of the subjects of
its slice, and if a subject turns up in two slices (a register file edited by hand, with a
record's statements apart) the caller is told so and validates on the whole store instead.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

# Bytes of N-Quads per slice: ~110,000 quads, some 8,000 records; small enough to keep a
# worker's memory low, large enough that the per-slice cost of compiling the shapes is noise.
SLICE_BYTES = 24 * 1024 * 1024


@dataclass(frozen=True)
class Job:
    path: str          # an N-Quads file (a register's dump)
    start: int         # byte range [start, end), cut at line and subject boundaries
    end: int
    graph: str         # the register's citation graph: every record statement is in it
    prefix: str        # IRIs of the register's records (the focus nodes)


class NotIndependent(Exception):
    """A record's statements are not together in the file: slices would split it."""


def _subject(line: bytes) -> bytes:
    return line[:line.find(b" ")]


def slices(path: Path, size: int = SLICE_BYTES) -> list[tuple[int, int]]:
    """Byte ranges covering the file, each ending at a line end after which the subject
    changes (or at the end of the file)."""
    total = path.stat().st_size
    bounds = [0]
    with open(path, "rb") as f:
        while bounds[-1] < total:
            target = bounds[-1] + size
            if target >= total:
                bounds.append(total)
                break
            f.seek(target)
            f.readline()  # to the start of the next whole line
            pos = f.tell()
            first = f.readline()
            if not first:
                bounds.append(total)
                break
            subject = _subject(first)
            pos_next = pos + len(first)
            while True:  # go on while the subject stays the same
                line = f.readline()
                if not line or _subject(line) != subject:
                    break
                pos_next += len(line)
            bounds.append(pos_next if line else total)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


# ------------------------------------------------------------------------------------------
# The worker processes

_state: dict = {}


def _init(curated: str, ontology: str, shapes: str, namespaces: dict,
          declarations: bytes) -> None:
    from rdflib import Graph

    from .namespaces import ONTOLOGY_IRI
    from .shacl_sparql import ontology_quads

    onto = Graph().parse(ontology, format="turtle")
    # The fixed part of every slice's store, as N-Quads: the curated graph, the ontology (in its
    # graph and as pyshacl mixes it into the data), the registers' source documents and
    # citations, which record statements point at.
    base = ox.Store()
    base.bulk_load(path=curated, format=ox.RdfFormat.N_QUADS)
    base.bulk_load(path=ontology, format=ox.RdfFormat.TURTLE,
                   to_graph=ox.NamedNode(str(ONTOLOGY_IRI)))
    base.extend(ontology_quads(onto))
    base.load(input=declarations, format=ox.RdfFormat.N_QUADS)
    fixed = ox.serialize(base, format=ox.RdfFormat.N_QUADS)
    _state.update(fixed=fixed, fixed_quads=len(base), ontology=onto, shapes=Graph().parse(shapes, format="turtle"),
                  namespaces=namespaces)


def _fresh_store() -> ox.Store:
    # A new store per slice: Oxigraph's in-memory store keeps removed quads (its versions), so
    # a store reused for slice after slice grew by each slice (1.4 GB a worker at 1M records).
    store = ox.Store()
    store.load(input=_state["fixed"], format=ox.RdfFormat.N_QUADS)
    return store


def _run(job: Job) -> tuple[list, set[int], int, int]:
    from .shacl_sparql import FocusFilter, validate_store

    with open(job.path, "rb") as f:
        f.seek(job.start)
        data = f.read(job.end - job.start)
    store = _fresh_store()
    store.load(input=data, format=ox.RdfFormat.N_QUADS)
    distinct = len(store) - _state["fixed_quads"]  # the slice's statements, without duplicates
    violations = validate_store(store, _state["shapes"], _state["ontology"],
                                focus_filter=FocusFilter(prefix=job.prefix),
                                namespaces=_state["namespaces"], threads=1, keep_ontology=True,
                                compiled=_state.setdefault("compiled", {}))
    del store
    # Python's hash of bytes differs between processes (hash randomisation): use a fixed one,
    # once per distinct subject (a record's dozen lines share one).
    names = {_subject(line) for line in data.split(b"\n") if line and not line.startswith(b"#")}
    subjects = {int.from_bytes(_digest(name), "little") for name in names}
    return violations, subjects, data.count(b"\n"), distinct


def _digest(b: bytes) -> bytes:
    import hashlib

    return hashlib.blake2b(b, digest_size=8).digest()


# ------------------------------------------------------------------------------------------
# The caller's side


class ChunkedValidation:
    """Validation of some registers' N-Quads dumps, started at once and collected later, so
    that the caller can bulk-load its store meanwhile."""

    def __init__(self, registers: list[tuple[Path, str, str]], curated: Path, ontology: Path,
                 shapes: Path, namespaces: dict, declarations: bytes = b"",
                 workers: int | None = None, slice_bytes: int = SLICE_BYTES):
        """registers: (N-Quads file, citation graph IRI, prefix of its record IRIs) each;
        declarations: N-Quads of the registers' source documents and citations."""
        jobs = [Job(str(path), a, b, graph, prefix)
                for path, graph, prefix in registers for a, b in slices(path, slice_bytes)]
        self.jobs = jobs
        self.exact = False  # set by result(): no record line repeats another
        # The registers' files start with their declarations, which every worker's store also
        # holds: those lines are not new statements in a slice.
        self._declaration_lines = declarations.count(b"\n")
        n = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
        # spawn, not fork: the parent may hold an open RocksDB store and threads.
        self._pool = ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=_init,
            initargs=(str(curated), str(ontology), str(shapes), dict(namespaces),
                      declarations))
        self._futures = [self._pool.submit(_run, job) for job in jobs]

    def result(self) -> list:
        """The violations, sorted. Raises NotIndependent when a subject's statements were found
        in two slices (validate the whole store instead)."""
        try:
            violations: set = set()
            seen: set[int] = set()
            total = lines = distinct = 0
            for future in self._futures:
                found, subjects, n, d = future.result()
                violations.update(found)
                total += len(subjects)
                seen |= subjects
                lines += n
                distinct += d
            if len(seen) != total:
                raise NotIndependent(
                    "a record's statements are not together in its register file")
            # Every line a distinct statement: the files' counts are the graph's (the slices
            # hold disjoint records, so no statement can repeat across two of them).
            self.exact = lines - self._declaration_lines == distinct
            return sorted(violations)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def cancel(self) -> None:
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # a slice may take seconds: do not wait for it
            if p.is_alive():
                p.kill()
