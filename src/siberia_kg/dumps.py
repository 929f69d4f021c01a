"""Serialising the graph to dump files, byte-for-byte the same for the same input.

Quads are sorted before they reach the serialiser (pyoxigraph's, which writes them in the order
given), so no output depends on hash seeds or insertion order. JSON-LD is written here as a
compact document with a context, which pyoxigraph does not offer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD

from .store.terms import to_oxigraph

Quad = tuple  # (s, p, o, g) rdflib terms; g is None for the default graph

FORMATS = {
    # name: (file suffix, media type, pyoxigraph format or None for our JSON-LD writer)
    "turtle": (".ttl", "text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": (".nt", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": (".jsonld", "application/ld+json", None),
    "trig": (".trig", "application/trig", ox.RdfFormat.TRIG),
    "nquads": (".nq", "application/n-quads", ox.RdfFormat.N_QUADS),
    "rdfxml": (".rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML),
}


def to_ox(term):
    """to_oxigraph, refusing blank nodes: a dump names every node."""
    if isinstance(term, BNode):
        raise TypeError(f"cannot serialise {term!r}: blank nodes are not allowed in dumps")
    return to_oxigraph(term)


def _key(term) -> tuple:
    if isinstance(term, Literal):
        return (1, str(term), term.language or "", str(term.datatype or ""))
    return (0, str(term), "", "")


def sorted_quads(quads: Iterable[Quad]) -> list[Quad]:
    norm = []
    for s, p, o, g in quads:
        g = None if g is None or g == DATASET_DEFAULT_GRAPH_ID else g
        norm.append((s, p, o, g))
    # rdf:type first within a subject reads better in Turtle; otherwise lexical order.
    return sorted(set(norm), key=lambda q: ("" if q[3] is None else str(q[3]), str(q[0]),
                                             (q[1] != RDF.type, str(q[1])), _key(q[2])))


def sorted_triples(quads: Iterable[Quad]) -> list[tuple]:
    triples = {(s, p, o) for s, p, o, _ in quads}
    return sorted(triples, key=lambda t: (str(t[0]), (t[1] != RDF.type, str(t[1])), _key(t[2])))


def serialize_triples(triples: list[tuple], fmt: str, prefixes: dict[str, str]) -> bytes:
    if fmt == "jsonld":
        return jsonld(triples, prefixes)
    oxfmt = FORMATS[fmt][2]
    data = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples]
    kw = {"prefixes": prefixes} if fmt in ("turtle", "rdfxml") else {}
    out = ox.serialize(data, format=oxfmt, **kw)
    return out


def serialize_quads(quads: list[Quad], fmt: str, prefixes: dict[str, str]) -> bytes:
    oxfmt = FORMATS[fmt][2]
    data = [ox.Quad(to_ox(s), to_ox(p), to_ox(o),
                    ox.DefaultGraph() if g is None else ox.NamedNode(str(g)))
            for s, p, o, g in quads]
    kw = {"prefixes": prefixes} if fmt == "trig" else {}
    return ox.serialize(data, format=oxfmt, **kw)


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    best = ""
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(ns) > len(prefixes.get(best, "")):
            local = iri[len(ns):]
            # A compact IRI must not look like an absolute IRI or need escaping.
            if local and not local.startswith("//") and all(c not in local for c in " <>\"{}|^`\\"):
                best = prefix
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri


def jsonld(triples: list[tuple], prefixes: dict[str, str]) -> bytes:
    """A compact JSON-LD 1.1 document: one node object per subject, every value explicit."""
    context = dict(sorted(prefixes.items()))
    nodes: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    types: dict[str, list[str]] = defaultdict(list)
    for s, p, o in triples:
        sid = _compact(str(s), prefixes)
        if p == RDF.type and isinstance(o, URIRef):
            types[sid].append(_compact(str(o), prefixes))
            continue
        if isinstance(o, URIRef):
            value: dict = {"@id": _compact(str(o), prefixes)}
        elif o.language:
            value = {"@value": str(o), "@language": o.language}
        elif o.datatype and o.datatype != XSD.string:
            value = {"@value": str(o), "@type": _compact(str(o.datatype), prefixes)}
        else:
            value = {"@value": str(o)}
        nodes[sid][_compact(str(p), prefixes)].append(value)
    graph = []
    for sid in sorted(set(nodes) | set(types)):
        node: dict = {"@id": sid}
        if types.get(sid):
            node["@type"] = sorted(types[sid])
        for prop in sorted(nodes.get(sid, {})):
            node[prop] = sorted(nodes[sid][prop], key=lambda v: json.dumps(v, sort_keys=True))
        graph.append(node)
    doc = {"@context": context, "@graph": graph}
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


# --- streaming dumps of large N-Quads files (person registers) -------------------------------
#
# A register of a million people is some fifteen million quads: far too many for rdflib or for
# lists of Python terms. These helpers stream: bytes in blocks of whole lines, or pyoxigraph's
# parser feeding its serialiser, hashing and counting what they write on the way.

BLOCK = 1 << 24  # bytes read at a time (whole lines are added to each block)


class HashingWriter:
    """A binary file wrapper that keeps the SHA-256, the size and the line count of what is
    written through it (pyoxigraph's serialisers write to any object with ``write``)."""

    def __init__(self, f):
        import hashlib

        self._f = f
        self._h = hashlib.sha256()
        self.size = 0
        self.lines = 0

    def write(self, data) -> int:
        data = bytes(data)
        self._h.update(data)
        self.size += len(data)
        self.lines += data.count(b"\n")
        self._f.write(data)
        return len(data)

    def flush(self) -> None:
        self._f.flush()

    @property
    def sha256(self) -> str:
        return self._h.hexdigest()


def line_blocks(path, block: int = BLOCK):
    """The file's bytes in blocks that each end at a line end (the last may not)."""
    with open(path, "rb") as f:
        while True:
            data = f.read(block)
            if not data:
                return
            if not data.endswith(b"\n"):
                data += f.readline()
            yield data


def ntriples_from_nquads_block(data: bytes, graph_suffix: bytes) -> bytes | None:
    """N-Triples lines from canonical N-Quads lines that all end with ``graph_suffix``
    (`` <graph> .\\n``), or None when some line does not (then parse instead). A line end can
    only be a statement's end in N-Quads (a literal's line breaks are escaped), so replacing the
    suffix is exact."""
    if not is_canonical_block(data, graph_suffix):
        return None
    return data.replace(graph_suffix, b" .\n")


def is_canonical_block(data: bytes, graph_suffix: bytes) -> bool:
    """Whether every line of ``data`` ends with ``graph_suffix`` (see ntriples_from_nquads_block)."""
    return data.endswith(b"\n") and data.count(graph_suffix) == data.count(b"\n")


def stream_triples(nquads_path, out, fmt: str, prefixes: dict[str, str] | None = None,
                   counts: dict | None = None) -> None:
    """Every quad of an N-Quads file as a triple, in file order, serialised by pyoxigraph into
    ``out`` (Turtle groups a subject's consecutive triples; the file lists each record's
    statements together, so each record is one Turtle block).

    ``counts`` (a dict with "ours", the prefix of our entity IRIs, and "citation", the IRI of
    skg:citation) is filled on the way with "properties" {IRI: statements}, "classes" {IRI:
    statements typing one of our entities} and "citing" (statements ``?s skg:citation ?g``):
    for a file without duplicate statements, triples per property, entities per class and
    entities."""
    oxfmt = FORMATS[fmt][2]
    quads = ox.parse(path=str(nquads_path), format=ox.RdfFormat.N_QUADS)
    if counts is None:
        triples = (q.triple for q in quads)
    else:
        triples = _counting(quads, counts)
    kw = {"prefixes": prefixes} if prefixes and fmt == "turtle" else {}
    ox.serialize(triples, output=out, format=oxfmt, **kw)


def _counting(quads, counts: dict):
    from collections import Counter

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    citation = ox.NamedNode(counts["citation"])
    ours = counts["ours"]
    properties: Counter = Counter()
    classes: Counter = Counter()
    citing = 0
    for q in quads:
        p = q.predicate
        properties[p] += 1
        if p == rdf_type:
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ours):
                classes[q.object] += 1
        elif p == citation:
            citing += 1
        yield q.triple
    counts["properties"] = {k.value: v for k, v in properties.items()}
    counts["classes"] = {k.value: v for k, v in classes.items() if isinstance(k, ox.NamedNode)}
    counts["citing"] = citing


def write_flat_dumps(job: dict) -> dict:
    """A register's N-Triples and Turtle dumps from its N-Quads dump (run in a process of its
    own, beside the build's bulk load). ``job``: nq, nt, ttl (paths), header (the dump's leading
    default-graph lines, already N-Triples), suffix (`` <graph> .\n`` ending every record line
    when ``canonical``), prefixes, and ours/citation for the counts. Returns, per format, size,
    sha256 and lines, and the counts of stream_triples."""
    out: dict = {}
    for fmt, key in (("ntriples", "nt"), ("turtle", "ttl")):
        with open(job[key], "wb") as f:
            w = HashingWriter(f)
            if fmt == "ntriples" and job["canonical"]:
                first = True
                for block in line_blocks(job["nq"]):
                    if first:  # the declarations: default graph, already triples
                        first = False
                        if not block.startswith(job["header"]):
                            raise RuntimeError(f"{job['nq']} changed while the build ran")
                        w.write(job["header"])
                        block = block[len(job["header"]):]
                        if not block:
                            continue
                    flat = ntriples_from_nquads_block(block, job["suffix"])
                    if flat is None:
                        raise RuntimeError(f"{job['nq']} changed while the build ran")
                    w.write(flat)
            else:
                counts = {"ours": job["ours"], "citation": job["citation"]} \
                    if fmt == "turtle" else None
                stream_triples(job["nq"], w, fmt, job["prefixes"], counts)
                if counts is not None:
                    out["counts"] = counts
            f.flush()  # synced with the rest of the build before the swap (build._sync_tree)
        out[fmt] = {"size": w.size, "sha256": w.sha256, "lines": w.lines}
    return out


def _flat_main() -> None:
    """The child process of FlatDumpsProcess: jobs as JSON on stdin, results as JSON on stdout."""
    import base64
    import sys

    jobs = json.loads(sys.stdin.buffer.read())
    for job in jobs:
        job["header"] = base64.b64decode(job["header"])
        job["suffix"] = base64.b64decode(job["suffix"])
    results = [write_flat_dumps(job) for job in jobs]
    sys.stdout.write(json.dumps(results))
    sys.stdout.flush()


class FlatDumpsProcess:
    """write_flat_dumps for several registers in a child process of its own (a fresh
    interpreter: nothing of the build's state is shared, and no __main__ is re-run), so that
    the Python-bound Turtle serialisation runs on the other core while the build bulk-loads the
    store (a thread would fight the loader for the GIL)."""

    def __init__(self, jobs: list[dict]):
        import base64
        import subprocess
        import sys
        import tempfile

        payload = [{**job, "header": base64.b64encode(job["header"]).decode(),
                    "suffix": base64.b64encode(job["suffix"]).decode()} for job in jobs]
        self._err = tempfile.TemporaryFile()
        import os

        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where siberia_kg is
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from siberia_kg.dumps import _flat_main; _flat_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, env=env)
        self._proc.stdin.write(json.dumps(payload).encode())
        self._proc.stdin.close()

    def result(self) -> list[dict]:
        out = self._proc.stdout.read()
        code = self._proc.wait()
        self._proc.stdout.close()
        if code != 0:
            self._err.seek(0)
            err = self._err.read().decode("utf-8", "replace").strip().splitlines()
            self._err.close()
            raise RuntimeError("writing the registers' N-Triples and Turtle dumps failed "
                               f"(exit code {code}): {err[-1] if err else ''}")
        self._err.close()
        return json.loads(out)

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for f in (self._proc.stdout, self._err):
            if f and not f.closed:
                f.close()
