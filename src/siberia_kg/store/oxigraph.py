"""An Oxigraph store loaded from the build's N-Quads dump and the ontology."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ..namespaces import ONTOLOGY_IRI


class QueryError(ValueError):
    """A query the store cannot parse or run; the message is the parser's."""


class GraphStore:
    def __init__(self, path: Path | None = None):
        self._store = ox.Store(str(path)) if path else ox.Store()

    @classmethod
    def from_dist(cls, dist: Path) -> "GraphStore":
        from ..build import DUMP_NAME, ONTOLOGY_DUMP

        store = cls()
        store.load_file(dist / f"{DUMP_NAME}.nq", ox.RdfFormat.N_QUADS)
        store.load_file(dist / ONTOLOGY_DUMP, ox.RdfFormat.TURTLE, graph=str(ONTOLOGY_IRI))
        return store

    def load_file(self, path: Path, fmt: ox.RdfFormat, graph: str | None = None) -> None:
        kwargs = {"to_graph": ox.NamedNode(graph)} if graph else {}
        self._store.bulk_load(path=str(path), format=fmt, **kwargs)

    def __len__(self) -> int:
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
