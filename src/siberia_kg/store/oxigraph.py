"""The graph in Oxigraph: the build's persistent on-disk store (dist/store/), opened read-only,
or, for a build without one, an in-memory store loaded from the N-Quads dump and the ontology.

A persistent store opens in milliseconds whatever its size (nothing is parsed), and any number
of processes may hold it open read-only at once: the server, its SPARQL workers, a query from
the command line. See ``GraphStore.from_dist`` for what happens when a rebuild replaces dist/
under a running server.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import ONTOLOGY_IRI

log = logging.getLogger("siberia_kg.store")

STORE_DIR = "store"          # dist/store/: the persistent store the build writes
STORE_MARKER = "siberia-kg-store.json"  # beside the RocksDB files: what the build put in


class QueryError(ValueError):
    """A query the store cannot parse or run; the message is the parser's."""


def store_path(dist: Path) -> Path | None:
    """dist/store when the build wrote a complete persistent store there, else None."""
    path = Path(dist) / STORE_DIR
    return path if (path / STORE_MARKER).is_file() and (path / "CURRENT").is_file() else None


class GraphStore:
    def __init__(self, path: Path | None = None, *, read_only: bool = False):
        if path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(path))
        else:
            self._store = ox.Store(str(path))
        self.path: Path | None = Path(path) if path is not None else None
        self.read_only = read_only
        self._pin = None  # a Pin (see pin.py) this store was opened from, released by close()
        # What the build counted (STORE_MARKER): quads, union_triples, default_graph,
        # named_graphs {IRI: triples}; None for a store not written by the build.
        self.statistics: dict | None = None
        if path is not None and read_only:
            try:
                stats = json.loads((Path(path) / STORE_MARKER).read_text())
                self.statistics = stats if isinstance(stats.get("quads"), int) else None
            except (OSError, ValueError, AttributeError):
                pass

    @classmethod
    def open(cls, path: Path, read_only: bool = True) -> "GraphStore":
        """Open an on-disk store; read-only by default, which any number of processes may do
        at the same time (a read-write open takes RocksDB's lock and excludes every other)."""
        path = Path(path)
        if not (path / "CURRENT").is_file():
            raise FileNotFoundError(f"{path} is not an Oxigraph store (no CURRENT file)")
        return cls(path, read_only=read_only)

    @classmethod
    def from_dist(cls, dist: Path, *, pin: bool = False) -> "GraphStore":
        """The built graph: dist/store opened read-only when the build wrote one, else (a build
        without a persistent store) the N-Quads dumps and the ontology loaded into memory.

        ``pin=True`` (the server) first hard-links the store's files into a private folder
        beside dist/ and opens that, so that a rebuild swapping dist/ underneath cannot take
        files away from a running server: it goes on serving the graph it started with until
        it is restarted. Short-lived commands (query, stats, export) open dist/store itself.
        """
        from ..build import DUMP_NAME, ONTOLOGY_DUMP

        dist = Path(dist)
        path = store_path(dist)
        if path is not None:
            if pin:
                from .pin import pin_store

                pinned = pin_store(dist, path)
                if pinned is not None:
                    try:
                        store = cls.open(pinned.path)
                    except BaseException:
                        pinned.release()
                        raise
                    store._pin = pinned
                    return store
            return cls.open(path)
        store = cls()
        store.load_file(dist / f"{DUMP_NAME}.nq", ox.RdfFormat.N_QUADS)
        store.load_file(dist / ONTOLOGY_DUMP, ox.RdfFormat.TURTLE, graph=str(ONTOLOGY_IRI))
        # a build with registers but --no-store: their dumps too (parsed at every start)
        for register in sorted(dist.glob(f"{DUMP_NAME}-register-*.nq")):
            store.load_file(register, ox.RdfFormat.N_QUADS)
        return store

    @property
    def pinned_path(self) -> Path | None:
        """The private copy of the store this one was opened from (``from_dist(pin=True)``),
        which other processes of the same server (SPARQL workers) open in turn."""
        return self._pin.path if self._pin is not None else None

    def close(self) -> None:
        """Let go of a pinned copy (removing it). The store itself closes when the last
        reference to it goes; queries on it after close() are an error."""
        pinned, self._pin = self._pin, None
        if pinned is not None:
            pinned.release()

    def load_file(self, path: Path, fmt: ox.RdfFormat, graph: str | None = None) -> None:
        kwargs = {"to_graph": ox.NamedNode(graph)} if graph else {}
        self._store.bulk_load(path=str(path), format=fmt, **kwargs)

    def __len__(self) -> int:
        """Quads in the store: as the build counted them for a built store (counting scans
        every quad: seconds for a million records), else counted."""
        if self.statistics is not None:
            return self.statistics["quads"]
        return len(self._store)

    def query(self, sparql: str, *, union_default_graph: bool = True):
        """Run a SPARQL query. The default graph is the union of all graphs unless asked otherwise,
        so that plain queries see everything and GRAPH ?g still finds each statement's citation."""
        try:
            return self._store.query(sparql, use_default_graph_as_union=union_default_graph)
        except SyntaxError as e:
            raise QueryError(f"malformed query: {e}") from e
        except (OSError, ValueError, RuntimeError) as e:
            raise QueryError(f"query failed: {e}") from e

    @property
    def raw(self) -> ox.Store:
        return self._store
