"""SPARQL queries on the built graph or on a remote endpoint, with one set of output formats."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef, BNode

from .namespaces import all_prefixes
from .store import GraphStore, QueryError
from .store.terms import to_rdflib

OUTPUT_FORMATS = ("table", "csv", "tsv", "json", "ttl")


@dataclass
class Result:
    kind: str  # "select", "ask" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # var -> rdflib term
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)


def run_local(store: GraphStore, sparql: str) -> Result:
    res = store.query(sparql)
    if isinstance(res, ox.QueryBoolean):
        return Result(kind="ask", boolean=bool(res))
    if isinstance(res, ox.QuerySolutions):
        variables = [v.value for v in res.variables]
        rows = [{v: to_rdflib(sol[v]) for v in variables if sol[v] is not None} for sol in res]
        return Result(kind="select", variables=variables, rows=rows)
    triples = [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in res]
    return Result(kind="graph", triples=triples)


def _term_from_json(b: dict):
    t = b["type"]
    if t == "uri":
        return URIRef(b["value"])
    if t == "bnode":
        return BNode(b["value"])
    if "xml:lang" in b:
        return Literal(b["value"], lang=b["xml:lang"])
    return Literal(b["value"], datatype=URIRef(b["datatype"]) if "datatype" in b else None)


def run_remote(endpoint: str, sparql: str, timeout: float = 60.0) -> Result:
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    from . import __version__

    client = SPARQLWrapper(endpoint, agent=f"siberia-kg/{__version__} (SPARQL client)")
    client.setTimeout(int(timeout))
    client.setQuery(sparql)
    kind = client.queryType
    graph_query = kind in ("CONSTRUCT", "DESCRIBE")
    client.setReturnFormat(TURTLE if graph_query else JSON)
    try:
        raw = client.query().convert()
    except SPARQLWrapperException as e:
        raise QueryError(f"endpoint {endpoint} refused the query: {e}") from e
    except OSError as e:
        raise QueryError(f"cannot reach endpoint {endpoint}: {e}") from e
    if graph_query:
        g = Graph().parse(data=raw if isinstance(raw, (bytes, str)) else raw.serialize(),
                          format="turtle")
        return Result(kind="graph", triples=list(g))
    if "boolean" in raw:
        return Result(kind="ask", boolean=bool(raw["boolean"]))
    variables = raw["head"].get("vars", [])
    rows = [{k: _term_from_json(v) for k, v in b.items()} for b in raw["results"]["bindings"]]
    return Result(kind="select", variables=variables, rows=rows)


def _plain(term) -> str:
    return "" if term is None else str(term)


def _nt(term) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype is None and not term.language:
        return Literal(str(term)).n3()
    return term.n3()


def _short(term, prefixes: dict[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        s = str(term)
        best = max((p for p, ns in prefixes.items() if s.startswith(ns)),
                   key=lambda p: len(prefixes[p]), default=None)
        return f"{best}:{s[len(prefixes[best]):]}" if best else f"<{s}>"
    if isinstance(term, Literal) and term.language:
        return f"{term}@{term.language}"
    return str(term)


def format_result(result: Result, fmt: str, base: str) -> str:
    if fmt not in OUTPUT_FORMATS:
        raise QueryError(f"unknown format {fmt!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
    prefixes = all_prefixes(base)
    if result.kind == "graph":
        if fmt not in ("ttl", "json"):
            if fmt != "table":
                raise QueryError(f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt}; "
                                 "use --format ttl or json")
        g = Graph()
        for p, ns in prefixes.items():
            g.bind(p, ns, override=True)
        for t in result.triples:
            g.add(t)
        return g.serialize(format="json-ld" if fmt == "json" else "turtle")
    if fmt == "ttl":
        raise QueryError("--format ttl needs a CONSTRUCT or DESCRIBE query; "
                         "use table, csv, tsv or json for SELECT and ASK")
    if result.kind == "ask":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.boolean}) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    if fmt == "json":
        def enc(t):
            if isinstance(t, URIRef):
                return {"type": "uri", "value": str(t)}
            if isinstance(t, BNode):
                return {"type": "bnode", "value": str(t)}
            d = {"type": "literal", "value": str(t)}
            if t.language:
                d["xml:lang"] = t.language
            elif t.datatype:
                d["datatype"] = str(t.datatype)
            return d
        doc = {"head": {"vars": result.variables},
               "results": {"bindings": [{k: enc(v) for k, v in r.items()} for r in result.rows]}}
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(result.variables)
        for r in result.rows:
            w.writerow([_plain(r.get(v)) for v in result.variables])
        return buf.getvalue()
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join(_nt(r.get(v)) for v in result.variables) for r in result.rows]
        return "\n".join(lines) + "\n"
    # table
    header = result.variables
    cells = [[_short(r.get(v), prefixes) for v in header] for r in result.rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]
    widths = [min(w, 80) for w in widths]

    def line(vals):
        return " | ".join(v[:80].ljust(w) for v, w in zip(vals, widths)).rstrip()

    out = [line(header), "-+-".join("-" * w for w in widths)]
    out += [line(c) for c in cells]
    out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(out) + "\n"


def read_query_file(path) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def competency_question(text: str) -> str:
    """The question a sample query answers: its leading comment lines."""
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            lines.append(s.lstrip("#").strip())
        elif s:
            break
    return " ".join(x for x in lines if x)
