"""SHACL validation with reports a person can act on: focus node, path, message, data file."""

from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF, SH

from .namespaces import all_prefixes


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


def run_shacl(data: Graph, shapes: Graph, ontology: Graph, origins=None) -> list[Violation]:
    """Validate; return the violations, sorted, each with the data file(s) of its focus node."""
    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none",
        advanced=True, allow_warnings=False, abort_on_first=False)
    if conforms:
        return []
    out = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        msgs = [str(m) for m in results.objects(r, SH.resultMessage)]
        files = ""
        if origins is not None and isinstance(focus, URIRef):
            files = ", ".join(sorted(origins.get(focus, ())))
        out.append(Violation(
            focus=_n3(focus, data), path=_n3(path, data),
            message="; ".join(sorted(msgs)) or "constraint violated",
            value=_n3(results.value(r, SH.value), data),
            shape=_n3(results.value(r, SH.sourceShape), data),
            severity=_n3(results.value(r, SH.resultSeverity), data).split("#")[-1].rstrip(">"),
            files=files))
    return sorted(set(out))
