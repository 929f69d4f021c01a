"""The embedded store (pyoxigraph: 12-30x faster than rdflib here), behind one small interface:
the build's persistent on-disk store when there is one, else the dumps loaded into memory."""

from .oxigraph import STORE_DIR, STORE_MARKER, GraphStore, QueryError, store_path

__all__ = ["GraphStore", "QueryError", "STORE_DIR", "STORE_MARKER", "store_path"]
