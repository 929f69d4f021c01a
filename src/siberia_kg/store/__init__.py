"""The embedded store, behind one small interface (pyoxigraph: 12-30x faster than rdflib here)."""

from .oxigraph import GraphStore, QueryError

__all__ = ["GraphStore", "QueryError"]
