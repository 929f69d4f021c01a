"""SHACL validation with reports a person can act on: focus node, path, message, data file.

pyshacl evaluates a SPARQL-based constraint once per focus node on rdflib's SPARQL engine, which
made it most of a 14 s build for 5,000 triples. Here, node-shape SPARQL constraints run once
per constraint on Oxigraph, with the focus nodes given in a VALUES block (the same pre-binding
of $this, for queries without sub-selects); pyshacl runs everything else. Results, messages
included, are formed exactly as pyshacl forms them, and a test compares both paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDFS, SH

from .dumps import to_ox
from .namespaces import all_prefixes
from .store.terms import to_rdflib


@dataclass(frozen=True, order=True)
class Violation:
    focus: str
    path: str
    message: str
    value: str
    shape: str
    severity: str
    files: str = ""

    def __str__(self) -> str:
        where = f"{self.files}: " if self.files else ""
        value = f" (value: {self.value})" if self.value else ""
        path = f" {self.path}" if self.path else ""
        return f"{where}{self.focus}{path}: {self.message}{value}"


def union_graph(ds: Dataset, base: str) -> Graph:
    g = Graph()
    for prefix, ns in all_prefixes(base).items():
        g.bind(prefix, ns, override=True)
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def _n3(node, graph: Graph) -> str:
    if node is None:
        return ""
    try:
        return node.n3(graph.namespace_manager)
    except Exception:  # a path expression (blank node) or an odd term
        return str(node)


def _files(origins, focus) -> str:
    if origins is None or not isinstance(focus, URIRef):
        return ""
    return ", ".join(sorted(origins.get(focus, ())))


def run_shacl(data: Graph, shapes: Graph, ontology: Graph, origins=None,
              accelerate: bool = True) -> list[Violation]:
    """Validate; return the violations, sorted, each with the data file(s) of its focus node."""
    jobs: list[_SparqlJob] = []
    if accelerate:
        shapes, jobs = split_sparql_constraints(shapes)
    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none",
        advanced=True, allow_warnings=False, abort_on_first=False)
    out = []
    if not conforms:
        # Only the report's own results: nested sh:detail results would repeat a violation.
        for r in results.objects(None, SH.result):
            focus = results.value(r, SH.focusNode)
            msgs = [str(m) for m in results.objects(r, SH.resultMessage)]
            out.append(Violation(
                focus=_n3(focus, data), path=_n3(results.value(r, SH.resultPath), data),
                message="; ".join(sorted(set(msgs))) or "constraint violated",
                value=_n3(results.value(r, SH.value), data),
                shape=_n3(results.value(r, SH.sourceShape), data),
                severity=_n3(results.value(r, SH.resultSeverity), data).split("#")[-1].rstrip(">"),
                files=_files(origins, focus)))
    if jobs:
        out += _run_sparql_jobs(data, ontology, jobs, origins)
    return sorted(set(out))


@dataclass
class _SparqlJob:
    shape: URIRef | BNode
    query: str
    targets: list[tuple[URIRef, URIRef]]  # (target predicate, object)
    severity: URIRef
    messages: list[Literal]  # the constraint's, then the shape's


def _prefix_block(shapes: Graph, constraint) -> str:
    lines = []
    for decl_owner in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(decl_owner, SH.declare):
            prefix = shapes.value(decl, SH.prefix)
            ns = shapes.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>")
    return "\n".join(sorted(set(lines)))


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def split_sparql_constraints(shapes: Graph) -> tuple[Graph, list[_SparqlJob]]:
    """Take node-shape SPARQL constraints out of the shapes graph, as jobs for Oxigraph.

    Constraints on property shapes ($PATH), ASK-based validators, sub-selects and deactivated
    constraints stay with pyshacl.
    """
    jobs: list[_SparqlJob] = []
    removed: list[tuple] = []
    target_preds = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
    for shape, constraint in shapes.subject_objects(SH.sparql):
        if (shape, SH.path, None) in shapes or (shape, SH.deactivated, Literal(True)) in shapes:
            continue
        if (constraint, SH.deactivated, Literal(True)) in shapes:
            continue
        select = shapes.value(constraint, SH.select)
        if select is None:
            continue
        text = str(select)
        if len(_WHERE.findall(text)) != 1 or "$PATH" in text or re.search(r"\?this\b", text):
            continue
        targets = [(p, o) for p in target_preds for o in shapes.objects(shape, p)]
        if not targets:
            continue
        query = _prefix_block(shapes, constraint) + "\n" + text.replace("$this", "?this")
        messages = list(shapes.objects(constraint, SH.message)) + list(shapes.objects(shape, SH.message))
        severity = shapes.value(shape, SH.severity) or SH.Violation
        jobs.append(_SparqlJob(shape, query, targets, severity, messages))
        removed.append((shape, SH.sparql, constraint))
    if not jobs:
        return shapes, []
    reduced = Graph()
    for prefix, ns in shapes.namespaces():
        reduced.bind(prefix, ns, override=True)
    drop = set(removed)
    for t in shapes:
        if t not in drop:
            reduced.add(t)
    return reduced, jobs


def _focus_nodes(store: ox.Store, targets) -> list:
    found: set = set()
    for pred, obj in targets:
        if pred == SH.targetNode:
            found.add(to_ox(obj) if not isinstance(obj, BNode) else None)
            continue
        term = f"<{obj}>"
        pattern = {
            SH.targetClass: f"?this a ?c . ?c <{RDFS.subClassOf}>* {term} .",
            SH.targetSubjectsOf: f"?this {term} ?any .",
            SH.targetObjectsOf: f"?any {term} ?this .",
        }[pred]
        for sol in store.query(f"SELECT DISTINCT ?this WHERE {{ {pattern} }}"):
            found.add(sol["this"])
    return sorted((n for n in found if n is not None), key=str)


def _format(msg: str, fdict: dict) -> str:
    # pyshacl's substitution: {?var} and {$var} by str() of the bound term
    for var, val in fdict.items():
        msg = re.sub("{{[?$]{}}}".format(var), str(val), msg)
    return msg


def sparql_findings(rows, messages):
    """(this, path, value, message) for each distinct result row of an sh:sparql constraint,
    as pyshacl reports them: value defaults to $this, a row differing only in its other
    variables is another finding, and the messages are formatted with the row's bindings."""
    seen = set()
    for row in rows:
        if "failure" in row:
            continue  # boolean failure rows are left to pyshacl's semantics; none of ours use it
        this, path, value = row.pop("this", None), row.pop("path", None), row.pop("value", None)
        if this is None and path is None and value is None:
            continue
        value = value if value is not None else this
        key = (this, path, value, tuple(sorted(row.items())))
        if key in seen:
            continue
        seen.add(key)
        fdict = {**row, "this": this, "path": path, "value": value}
        fdict = {k: v for k, v in fdict.items() if v is not None}
        yield this, path, value, ("; ".join(sorted({_format(str(m), fdict) for m in messages}))
                                  or "constraint violated")


def _run_sparql_jobs(data: Graph, ontology: Graph, jobs: list[_SparqlJob], origins) -> list[Violation]:
    store = ox.Store()
    # pyshacl mixes the ontology into the data graph; so do we.
    store.bulk_extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for g in (data, ontology)
                      for s, p, o in g if not isinstance(s, BNode) and not isinstance(o, BNode))
    out = []
    for job in jobs:
        focus = _focus_nodes(store, job.targets)
        if not focus:
            continue
        values = "VALUES ?this { " + " ".join(str(f) for f in focus) + " }"
        query = _WHERE.sub(lambda m: m.group(0) + " " + values + " ", job.query, count=1)
        results = store.query(query)
        variables = list(results.variables)
        rows = ({v.value: to_rdflib(sol[v]) for v in variables if sol[v] is not None}
                for sol in results)
        for this, path, value, message in sparql_findings(rows, job.messages):
            out.append(Violation(
                focus=_n3(this, data), path=_n3(path, data), message=message,
                value=_n3(value, data), shape=_n3(job.shape, data),
                severity=_n3(job.severity, data).split("#")[-1].rstrip(">"),
                files=_files(origins, this)))
    return out
