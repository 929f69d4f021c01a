"""SHACL validation at register scale: the shapes run as SPARQL on an Oxigraph store.

pyshacl walks every focus node in Python (about 25,000 triples/s). Here each SHACL shape is
compiled into a few SPARQL queries that Oxigraph evaluates over ALL focus nodes at once, with
the store's default graph taken as the union of its graphs (as the build validates the union):

- per targeted shape, one query for the value checks of the node shape itself (sh:datatype,
  sh:pattern, sh:or ... applied to the focus node), one query for the value checks of each of
  its property shapes (all its value-type constraints in one FILTER, over every value of its
  path), and one query per counting constraint (sh:minCount, sh:maxCount,
  sh:qualifiedMin/MaxCount, sh:uniqueLang, sh:hasValue);
- nested shapes (sh:node, sh:or, sh:and, sh:not, sh:qualifiedValueShape, sh:property of a
  nested shape) become SPARQL expressions (EXISTS over the nested paths) inside those queries;
- SPARQL-based constraints (sh:sparql with sh:select on a node shape) run once each, $this
  joined with the focus nodes, exactly as validate.py's accelerated path runs them.

Exactness. SHACL in pyshacl means Python semantics (rdflib's literal parsing and
normalisation, Python's re module, rdflib term equality), which SPARQL does not share in
every corner (an xsd:date with a time zone, which rdflib silently normalises; Python's `$`
before a final newline; `\\s` on the control characters 0x1C-0x1F; ill-typed literals).
So every check is compiled into two SPARQL conditions: `under` (true only if pyshacl would
surely accept the value) and `over` (false only if pyshacl would surely reject it). A query
returns the rows where `under` fails, with `over` as a flag. Rows that surely fail become
violations at once; the rare undecided rows (and every row of a shape without sh:message,
whose generic message depends on the component) are handed to pyshacl itself, which
re-validates just those focus nodes against just that shape on an rdflib view of the store.
For the checks the shapes actually use on well-formed data (language tags, trimmed labels,
dates, IRIs, classes, sh:in lists, counts) `under` and `over` coincide, so no row is
undecided; patterns are translated from Python to the regex dialect of Oxigraph so that they
mean the same thing.

Violations are formed exactly as validate.run_shacl(accelerate=False) forms them from
pyshacl's report: focus, path and value as rdflib n3 terms with the caller's namespace
bindings; message = "; ".join(sorted(set(messages))) of the shape's sh:message values, else
pyshacl's generic message for the component (computed by pyshacl's own code); shape = the
source shape; severity as run_shacl derives it. Two deliberate differences, both about blank
nodes, whose labels pyshacl makes up afresh in every report: a complex path (a blank node in
the shapes graph, such as rdf:type/rdfs:subClassOf*) is written "_:" followed by the path in
SPARQL syntax ("_:rdf:type/rdfs:subClassOf*"), and a blank-node shape is written "_:" and the
shapes graph's own label; tests compare such fields after mapping every "_:..." to "_:". The
literals are Oxigraph's: it stores some datatypes in canonical form (xsd:decimal "55.9500"
becomes "55.95"; language tags are lower-cased), so a reported value can differ from
pyshacl's in lexical form only; verdicts do not depend on it.

What is validated is the store's union graph plus the ontology axioms pyshacl would mix into
the data graph (pyshacl's own `inoculate`); they are added to the named graph ONTOLOGY_GRAPH
for the duration of the run unless the store already holds that graph (a read-only store must:
see ontology_quads()). Unsupported SHACL features (sh:xone, sh:closed true, property-pair
constraints, SHACL-AF expressions, rules and targets, custom constraint components, SPARQL
constraints on property shapes or with sub-selects, sh:property below a property shape)
raise NotImplementedError naming the shape and the feature; nothing is silently skipped.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.plugins.stores.memory import Memory
from rdflib.term import XSDToPython

from .namespaces import DEFAULT_BASE, all_prefixes
from .store.terms import _XSD_STRING, to_oxigraph, to_rdflib  # noqa: F401 (re-exported)
from .validate import _WHERE, Violation, _files, _n3, _prefix_block, sparql_findings

ONTOLOGY_GRAPH = "urn:x-siberia-kg:shacl:ontology"

_TYPE = f"<{RDF.type}>"
_SUBCLASS = f"<{RDFS.subClassOf}>"
_LANGSTRING = str(RDF.langString)

# Constraint parameters, by the way they are compiled.
_VALUE_PARAMS = {SH["class"], SH.datatype, SH.nodeKind, SH.minExclusive, SH.minInclusive,
                 SH.maxExclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern,
                 SH.languageIn, SH["in"], SH.node, SH["not"], SH["and"], SH["or"]}
_COUNT_PARAMS = {SH.minCount, SH.maxCount, SH.qualifiedValueShape, SH.uniqueLang, SH.hasValue}
_AUX_PARAMS = {SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint,
               SH.ignoredProperties}
_UNSUPPORTED = {SH.xone: "sh:xone", SH.equals: "sh:equals", SH.disjoint: "sh:disjoint",
                SH.lessThan: "sh:lessThan", SH.lessThanOrEquals: "sh:lessThanOrEquals",
                SH.expression: "sh:expression (SHACL-AF)", SH.js: "sh:js",
                SH.rule: "sh:rule (SHACL-AF)", SH.target: "sh:target (SHACL-AF)"}


class UnsupportedShape(NotImplementedError):
    """A SHACL feature the SPARQL compiler does not implement (never silently skipped)."""


@dataclass(frozen=True)
class FocusFilter:
    """Restrict the focus nodes of the targeted shapes (nested checks are not restricted).

    prefix: only IRIs that start with it (for example the IRIs of one register's records);
    graph: only nodes that are the subject of a triple in that named graph (one register's
    citation graph). Both may be given.
    """

    prefix: str | None = None
    graph: str | None = None


# --------------------------------------------------------------------------------------------
# Terms


def _sparql_term(term) -> str:
    if isinstance(term, BNode):
        raise UnsupportedShape(f"blank node {term} cannot be written into a SPARQL query")
    return str(to_oxigraph(term))


def _string(text: str) -> str:
    return str(ox.Literal(text))


# --------------------------------------------------------------------------------------------
# The ontology axioms pyshacl mixes into the data graph


def ontology_quads(ontology: Graph) -> list[ox.Quad]:
    """The triples pyshacl adds to the data graph from ont_graph, as quads in ONTOLOGY_GRAPH.

    A store that is opened read-only must already hold them (bulk_load them with the data).
    """
    from pyshacl.rdfutil.inoculate import inoculate

    mixed = inoculate(Graph(), ontology)
    g = ox.NamedNode(ONTOLOGY_GRAPH)
    return [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), g) for s, p, o in mixed]


# --------------------------------------------------------------------------------------------
# Conditions: a pair of SPARQL boolean expressions (see the module docstring)


@dataclass(frozen=True)
class Cond:
    under: str  # true => pyshacl accepts
    over: str  # false => pyshacl rejects

    @property
    def exact(self) -> bool:
        return self.under == self.over


TRUE = Cond("true", "true")
FALSE = Cond("false", "false")
UNKNOWN = Cond("false", "true")


def _exact(expr: str) -> Cond:
    return Cond(expr, expr)


def _guarded(under: str, over: str) -> Cond:
    # an expression error means "not sure": under is false, over is true
    return Cond(f"COALESCE({under}, false)", f"COALESCE({over}, true)")


def _combine(conds: Iterable[Cond], op: str, unit: Cond, zero: Cond) -> Cond:
    """conds joined by op ("&&": unit TRUE, zero FALSE; "||": the other way round), folding
    the constants so that queries stay short and exactness is kept."""
    conds = [c for c in conds if c != unit]
    if any(c == zero for c in conds):
        return zero
    if not conds:
        return unit
    if len(conds) == 1:
        return conds[0]

    def side(exprs: list[str]) -> str:
        if zero.under in exprs:  # zero.under == zero.over: the constant that decides
            return zero.under
        return f" {op} ".join(f"({e})" for e in exprs if e != unit.under) or unit.under

    return Cond(side([c.under for c in conds]), side([c.over for c in conds]))


def _and(conds: Iterable[Cond]) -> Cond:
    return _combine(conds, "&&", TRUE, FALSE)


def _or(conds: Iterable[Cond]) -> Cond:
    return _combine(conds, "||", FALSE, TRUE)


def _not(c: Cond) -> Cond:
    def neg(e):
        return {"true": "false", "false": "true"}.get(e, f"!({e})")
    return Cond(neg(c.over), neg(c.under))


# --------------------------------------------------------------------------------------------
# Python regular expressions in the dialect of Oxigraph (Rust's regex crate)

_SPACE_CLASS_BODY = r"\s\x1C-\x1F"  # Python's \s also matches the separators 0x1C-0x1F


def rust_regex(pattern: str) -> str | None:
    """The pattern rewritten so that Oxigraph's REGEX accepts exactly the strings that
    Python's re.search accepts; None when the pattern uses a construct this translator
    does not know to be equivalent (such values are then decided by pyshacl)."""
    out = []
    i, n = 0, len(pattern)

    def escape(c: str, in_class: bool) -> str | None:
        if c == "s":
            return _SPACE_CLASS_BODY if in_class else f"[{_SPACE_CLASS_BODY}]"
        if c == "S":
            return f"[^{_SPACE_CLASS_BODY}]"
        if c in "dDwWtnrfv":
            return "\\" + c
        if c in "bB" and not in_class:
            return "\\" + c
        if c == "A" and not in_class:
            return r"\A"
        if c == "Z" and not in_class:
            return r"\z"
        if not c.isalnum() and c.isascii() and c not in " \t\n":
            return "\\" + c
        return None

    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return None
            d = pattern[i + 1]
            if d == "x" and re.match(r"[0-9a-fA-F]{2}", pattern[i + 2:i + 4]):
                out.append(pattern[i:i + 4])
                i += 4
                continue
            if d == "u" and re.match(r"[0-9a-fA-F]{4}", pattern[i + 2:i + 6]):
                out.append(pattern[i:i + 6])
                i += 6
                continue
            e = escape(d, False)
            if e is None:
                return None
            out.append(e)
            i += 2
        elif c == "[":
            j = i + 1
            body = ["["]
            if j < n and pattern[j] == "^":
                body.append("^")
                j += 1
            if j < n and pattern[j] == "]":  # a leading ] is literal in Python
                body.append(r"\]")
                j += 1
            closed = False
            while j < n:
                d = pattern[j]
                if d == "]":
                    closed = True
                    j += 1
                    break
                if d == "\\":
                    if j + 1 >= n:
                        return None
                    e2 = pattern[j + 1]
                    if e2 == "x" and re.match(r"[0-9a-fA-F]{2}", pattern[j + 2:j + 4]):
                        body.append(pattern[j:j + 4])
                        j += 4
                        continue
                    if e2 == "u" and re.match(r"[0-9a-fA-F]{4}", pattern[j + 2:j + 6]):
                        body.append(pattern[j:j + 6])
                        j += 6
                        continue
                    e = escape(e2, True)
                    if e is None:
                        return None
                    body.append(e)
                    j += 2
                    continue
                if d == "[" or pattern[j:j + 2] in ("&&", "--", "~~"):
                    return None  # nested classes and set operations differ between the two
                body.append(d)
                j += 1
            if not closed:
                return None
            body.append("]")
            out.append("".join(body))
            i = j
        elif c == "$":
            out.append(r"(?:\n?\z)")
            i += 1
        elif c == "(":
            if pattern.startswith("(?:", i):
                out.append("(?:")
                i += 3
            elif pattern.startswith("(?P<", i):
                out.append("(?P<")
                i += 4
            elif pattern.startswith("(?", i):
                return None  # inline flags, lookaround, atomic groups, comments
            else:
                out.append("(")
                i += 1
        elif c == "{":
            m = re.match(r"\{(\d*)(,?)(\d*)\}", pattern[i:])
            if not m or (not m.group(1) and not m.group(3)):
                return None
            lo = m.group(1) or "0"
            out.append("{" + lo + m.group(2) + m.group(3) + "}")
            i += m.end()
            if i < n and pattern[i] == "+":
                return None  # possessive
        elif c in "*+?":
            out.append(c)
            i += 1
            if i < n and pattern[i] == "+":
                return None  # possessive quantifier (Python 3.11)
        else:
            out.append(c)
            i += 1
    return "".join(out)


# Lexical forms whose rdflib string (used by pyshacl for sh:pattern and the lengths) is
# certainly the same as Oxigraph's STR(): the datatypes rdflib does not normalise, or
# normalises into this very form.
_FAITHFUL_TYPED = {str(XSD.date): r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}$",
                   str(XSD.gYearMonth): r"^-?[0-9]{4,}-[0-9]{2}$",
                   str(XSD.gYear): r"^-?[0-9]{4,}$"}
# A valid xsd:date (for rdflib's parser) without time zone, years 0001-9999, Feb 29 excluded.
_SURE_DATE = (r"^(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-"
              r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
              r"|(?:0[13578]|1[02])-31)$")


# --------------------------------------------------------------------------------------------
# Paths


def _path_sparql(sg: Graph, path, inverse: bool = False) -> str:
    """A SHACL path as a SPARQL property path, with pyshacl's semantics (an inverse is pushed
    down to the steps of a sequence without reversing their order, as pyshacl evaluates it)."""
    if isinstance(path, URIRef):
        return f"^<{path}>" if inverse else f"<{path}>"
    if isinstance(path, Literal):
        raise UnsupportedShape(f"literal {path!r} used as a path")
    first = sg.value(path, RDF.first)
    if first is not None:
        items = list(sg.items(path))
        return "(" + "/".join(_path_sparql(sg, p, inverse) for p in items) + ")"
    inv = sg.value(path, SH.inversePath)
    if inv is not None:
        return _path_sparql(sg, inv, not inverse)
    alt = sg.value(path, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(_path_sparql(sg, p, inverse) for p in sg.items(alt)) + ")"
    for pred, op in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = sg.value(path, pred)
        if inner is not None:
            return "(" + _path_sparql(sg, inner, inverse) + ")" + op
    raise UnsupportedShape(f"path {path} is not a SHACL path")


def _path_text(sg: Graph, path, nsg: Graph) -> str:
    if isinstance(path, URIRef):
        return _n3(path, nsg)
    first = sg.value(path, RDF.first)
    if first is not None:
        return "/".join(_path_text(sg, p, nsg) for p in sg.items(path))
    inv = sg.value(path, SH.inversePath)
    if inv is not None:
        return "^" + _path_text(sg, inv, nsg)
    alt = sg.value(path, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(_path_text(sg, p, nsg) for p in sg.items(alt)) + ")"
    for pred, op in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = sg.value(path, pred)
        if inner is not None:
            return _path_text(sg, inner, nsg) + op
    return str(path)


# --------------------------------------------------------------------------------------------
# The compiler


class _Vars:
    def __init__(self):
        self.n = 0

    def __call__(self, stem: str = "w") -> str:
        self.n += 1
        return f"?_{stem}{self.n}"


class Compiler:
    """Compiles pyshacl's view of the shapes graph into SPARQL conditions and queries."""

    def __init__(self, sg, nsg: Graph, subclass_pairs: Iterable[tuple[str, str]] = ()):
        self.sg = sg  # pyshacl ShapesGraph
        self.g = sg.graph
        self.nsg = nsg
        # (subclass, superclass) pairs of the transitive closure of rdfs:subClassOf in the
        # validated graph, reflexive pairs left out, as SPARQL terms: see pattern()
        self.subclass_values = " ".join(f"({a} {b})" for a, b in sorted(set(subclass_pairs)))

    # ---- shape helpers

    def shape(self, node):
        try:
            return self.sg.lookup_shape_from_node(node)
        except KeyError:
            raise UnsupportedShape(f"{self._name(node)} is used as a shape but is not one") from None

    def _name(self, node) -> str:
        return _n3(node, self.nsg) if isinstance(node, URIRef) else f"blank shape {node}"

    def params(self, shape) -> dict:
        out = defaultdict(list)
        for p, o in self.g.predicate_objects(shape.node):
            out[p].append(o)
        return out

    def check_supported(self, shape, nested: bool) -> None:
        params = self.params(shape)
        name = self._name(shape.node)
        for p, label in _UNSUPPORTED.items():
            if p in params:
                raise UnsupportedShape(f"{name}: {label} is not supported by the SPARQL validator")
        if any(v.toPython() is True for v in params.get(SH.closed, ())):
            raise UnsupportedShape(f"{name}: sh:closed true is not supported by the SPARQL validator")
        if SH.sparql in params and (nested or shape.is_property_shape):
            where = "a property shape" if shape.is_property_shape else "a nested shape"
            raise UnsupportedShape(f"{name}: sh:sparql on {where} is not supported by the SPARQL validator")
        if not shape.is_property_shape:
            for p in (SH.minCount, SH.maxCount, SH.uniqueLang):
                if p in params:
                    raise UnsupportedShape(f"{name}: {_n3(p, self.nsg)} on a node shape is not supported")
        if SH.qualifiedValueShape in params and any(
                v.toPython() is True for v in params.get(SH.qualifiedValueShapesDisjoint, ())):
            raise UnsupportedShape(f"{name}: sh:qualifiedValueShapesDisjoint is not supported")

    def path(self, shape) -> str:
        return _path_sparql(self.g, shape.path())

    def pattern(self, shape, x: str, y: str, v: _Vars) -> str:
        """A graph pattern binding y to the values of the shape's path from x.

        Oxigraph evaluates FILTER (NOT) EXISTS around a `*` path whose end is unbound in
        time quadratic in the data, so the path p/rdfs:subClassOf* (how the shapes say "a type
        or a superclass of one") becomes a join with the closure of rdfs:subClassOf, read from
        the store when the validation starts; the values are the same."""
        path = shape.path()
        steps = list(self.g.items(path)) if isinstance(path, BNode) and self.g.value(path, RDF.first) else []
        if (len(steps) >= 2 and all(isinstance(st, URIRef) for st in steps[:-1])
                and self.g.value(steps[-1], SH.zeroOrMorePath) == RDFS.subClassOf
                and len(list(self.g.predicate_objects(steps[-1]))) == 1):
            head = "/".join(f"<{st}>" for st in steps[:-1])
            if not self.subclass_values:
                return f"{x} {head} {y} ."
            t = v("t")
            return (f"{{ {x} {head} {t} . VALUES ({t} {y}) {{ {self.subclass_values} }} }} "
                    f"UNION {{ {x} {head} {y} }}")
        return f"{x} {_path_sparql(self.g, path)} {y} ."

    # ---- value-level conditions (one value node in variable x)

    def value_conds(self, shape, x: str, v: _Vars, skip_node_hasvalue=False) -> list[Cond]:
        """Conditions of all value-type constraints of the shape, on the value node x."""
        params = self.params(shape)
        implied = set()
        # Drop checks that another check of the same shape implies (fewer string decodings):
        # sh:languageIn accepts only language-tagged literals, so it implies
        # sh:datatype rdf:langString; a pattern that cannot match "" implies sh:minLength 1.
        if SH.languageIn in params and params.get(SH.datatype) == [RDF.langString]:
            implied.add(SH.datatype)
        if [m.toPython() for m in params.get(SH.minLength, ())] == [1] and SH.pattern in params:
            flags = str(params[SH.flags][0]).lower() if SH.flags in params else ""
            fl = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
            try:
                if any(re.search(str(p), "", fl) is None for p in params[SH.pattern]):
                    implied.add(SH.minLength)
            except re.error:
                pass
        conds = []
        for p in params:
            if p in _VALUE_PARAMS:
                c = self.value_cond(shape, p, params, x, v)
                if p in implied:
                    c = Cond("true", c.over)  # still decides the rows that are returned
                conds.append(c)
        return conds

    def value_cond(self, shape, p, params, x: str, v: _Vars) -> Cond:
        name = self._name(shape.node)
        objs = params[p]
        if p == SH["class"]:
            return _and(_exact(f"EXISTS {{ {x} {_TYPE}/{_SUBCLASS}* {_sparql_term(c)} }}") for c in objs)
        if p == SH.datatype:
            if len(objs) != 1:
                raise UnsupportedShape(f"{name}: more than one sh:datatype")
            return self._datatype(objs[0], x)
        if p == SH.nodeKind:
            kind = objs[0]
            expr = {SH.IRI: f"isIRI({x})", SH.BlankNode: f"isBlank({x})", SH.Literal: f"isLiteral({x})",
                    SH.BlankNodeOrIRI: f"!isLiteral({x})", SH.BlankNodeOrLiteral: f"!isIRI({x})",
                    SH.IRIOrLiteral: f"!isBlank({x})"}.get(kind)
            if expr is None:
                raise UnsupportedShape(f"{name}: unknown sh:nodeKind {kind}")
            return _exact(expr)
        if p in (SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive):
            op = {SH.minExclusive: ">", SH.minInclusive: ">=", SH.maxExclusive: "<",
                  SH.maxInclusive: "<="}[p]
            return _and(self._range(op, m, x) for m in objs)
        if p in (SH.minLength, SH.maxLength):
            n = objs[0].toPython()
            if p == SH.minLength and n == 0:
                return TRUE
            op = ">=" if p == SH.minLength else "<="
            under = f"COALESCE(STRLEN({x}) {op} {n}, isIRI({x}) && STRLEN(STR({x})) {op} {n})"
            over = (f"COALESCE(STRLEN({x}) {op} {n}, IF(isIRI({x}), STRLEN(STR({x})) {op} {n}, "
                    f"!isBlank({x})))")
            return _guarded(under, over)
        if p == SH.pattern:
            flags = params.get(SH.flags)
            flags = str(flags[0]).lower() if flags else ""
            return _and(self._pattern(pat, flags, x) for pat in objs)
        if p == SH.languageIn:
            langs = [str(lit).lower() for lit in self.g.items(objs[0])]
            if "*" in langs:
                return _exact(f"COALESCE(LANG({x}) != \"\", false)")
            alts = []
            for lang in langs:
                alts.append(re.escape(lang) + ("" if "-" in lang else "(?:-.*)?"))
            rx = "^(?:" + "|".join(alts) + ")$" if alts else "^(?!)$"
            if not alts:
                return _exact("false")
            return _exact(f"COALESCE(REGEX(LANG({x}), {_string(rx)}, \"i\"), false)")
        if p == SH["in"]:
            members = list(self.g.items(objs[0]))
            if any(isinstance(m, BNode) for m in members):
                raise UnsupportedShape(f"{name}: blank nodes in sh:in")
            iris = [m for m in members if isinstance(m, URIRef)]
            iri_expr = (f"({x} IN ({', '.join(_sparql_term(m) for m in iris)}))" if iris else "false")
            if len(iris) == len(members):
                return _exact(iri_expr if iris else "false")
            # literal members: rdflib term equality is decided by pyshacl
            return Cond(iri_expr, f"({iri_expr} || isLiteral({x}))")
        if p == SH.node:
            return _and(self.conforms(self.shape(n), x, v) for n in objs)
        if p == SH["not"]:
            return _and(_not(self.conforms(self.shape(n), x, v)) for n in objs)
        if p == SH["and"]:
            return _and(_and(self.conforms(self.shape(m), x, v) for m in self.g.items(lst)) for lst in objs)
        if p == SH["or"]:
            return _and(_or(self.conforms(self.shape(m), x, v) for m in self.g.items(lst)) for lst in objs)
        raise UnsupportedShape(f"{name}: {p} is not supported")  # pragma: no cover

    def _datatype(self, dt, x: str) -> Cond:
        d = str(dt)
        if dt == RDF.langString:
            return _exact(f"COALESCE(LANG({x}) != \"\", false)")
        if dt == XSD.string:
            return _exact(f"COALESCE(DATATYPE({x}) = <{_XSD_STRING}>, false)")
        if dt == RDFS.Literal:
            return _exact(f"isLiteral({x})")
        if dt == RDFS.Datatype:
            # rdflib tells an explicit ^^xsd:string from a plain literal; Oxigraph does not
            return Cond(f"COALESCE(LANG({x}) = \"\" && DATATYPE({x}) != <{_XSD_STRING}>, false)",
                        f"COALESCE(LANG({x}) = \"\", false)")
        same = f"COALESCE(DATATYPE({x}) = <{d}>, false)"
        if dt not in XSDToPython or XSDToPython.get(dt) is None:
            return _exact(same)  # rdflib cannot find these ill-typed; pyshacl accepts them
        if dt in (XSD.integer, XSD.decimal, XSD.double, XSD.float):
            return Cond(f"COALESCE(DATATYPE({x}) = <{d}> && isNumeric({x}), false)", same)
        if dt == XSD.boolean:
            return Cond(f"COALESCE(DATATYPE({x}) = <{d}> && STR({x}) IN (\"true\", \"false\"), false)", same)
        if dt == XSD.date:
            return Cond(f"COALESCE(DATATYPE({x}) = <{d}> && REGEX(STR({x}), {_string(_SURE_DATE)}), false)",
                        same)
        return Cond("false", same)

    def _range(self, op: str, bound, x: str) -> Cond:
        if not isinstance(bound, Literal) or bound.datatype not in (XSD.integer, XSD.decimal, XSD.double):
            return Cond("false", f"COALESCE(!(isIRI({x}) || isBlank({x})), true)")
        b = _sparql_term(bound)
        plain = f"isNumeric({x}) && DATATYPE({x}) IN (<{XSD.integer}>, <{XSD.decimal}>)"
        under = f"COALESCE({plain} && {x} {op} {b}, false)"
        over = f"COALESCE(IF(isIRI({x}) || isBlank({x}), false, IF({plain}, {x} {op} {b}, true)), true)"
        return Cond(under, over)

    def _pattern(self, pat, flags: str, x: str) -> Cond:
        text = str(pat.value) if pat.value is not None and len(str(pat.value)) > 1 else str(pat)
        rx = rust_regex(text)
        f = "".join(c for c in "im" if c in flags)  # pyshacl honours only these two
        if rx is None:
            return Cond("false", f"!isBlank({x})")
        def call(arg):
            return f"REGEX({arg}, {_string(rx)}, {_string(f)})"
        faithful = " || ".join(
            f"(DATATYPE({x}) = <{d}> && REGEX(STR({x}), {_string(r)}))" for d, r in _FAITHFUL_TYPED.items())

        def typed(otherwise):
            return f"IF({faithful}, {call(f'STR({x})')}, {otherwise})"
        under = f"COALESCE({call(x)}, IF(isIRI({x}), {call(f'STR({x})')}, {typed('false')}))"
        over = (f"COALESCE({call(x)}, IF(isIRI({x}), {call(f'STR({x})')}, "
                f"IF(isBlank({x}), false, {typed('true')})))")
        return _guarded(under, over)

    # ---- conformance of a node (in variable x) to a shape

    def conforms(self, shape, x: str, v: _Vars) -> Cond:
        self.check_supported(shape, nested=True)
        if shape.deactivated:
            return TRUE
        if shape.is_property_shape:
            return self.property_conforms(shape, x, v)
        params = self.params(shape)
        conds = self.value_conds(shape, x, v)
        for hv in params.get(SH.hasValue, ()):
            conds.append(self._same(x, hv))
        for ps in params.get(SH.property, ()):
            conds.append(self.conforms(self.shape(ps), x, v))
        return _and(conds)

    def _same(self, x: str, term) -> Cond:
        if isinstance(term, Literal):
            return Cond(f"COALESCE(sameTerm({x}, {_sparql_term(term)}), false)", f"isLiteral({x})")
        return _exact(f"sameTerm({x}, {_sparql_term(term)})")

    def property_conforms(self, shape, x: str, v: _Vars) -> Cond:
        params = self.params(shape)
        conds = []
        w = v()
        vc = _and(self.value_conds(shape, w, v)
                  + [self.conforms(self.shape(ps), w, v) for ps in params.get(SH.property, ())])
        if vc != TRUE:
            pat = self.pattern(shape, x, w, v)
            conds.append(Cond(self._all_values(pat, w, vc.under), self._all_values(pat, w, vc.over)))
        for n in params.get(SH.minCount, ()):
            conds.append(self._at_least(shape, x, n.toPython(), None, v))
        for n in params.get(SH.maxCount, ()):
            conds.append(self._at_most(shape, x, n.toPython(), None, v))
        if any(u.toPython() is True for u in params.get(SH.uniqueLang, ())):
            a, b = v(), v()
            conds.append(_exact(f"NOT EXISTS {{ {self.pattern(shape, x, a, v)} {self.pattern(shape, x, b, v)} "
                                f"FILTER(!sameTerm({a}, {b}) && LANG({a}) != \"\" && "
                                f"LCASE(LANG({a})) = LCASE(LANG({b}))) }}"))
        for hv in params.get(SH.hasValue, ()):
            u = v()
            c = f"EXISTS {{ {self.pattern(shape, x, u, v)} FILTER(sameTerm({u}, {_sparql_term(hv)})) }}"
            conds.append(Cond(c, "true") if isinstance(hv, Literal) else _exact(c))
        for q in params.get(SH.qualifiedValueShape, ()):
            for n in params.get(SH.qualifiedMinCount, ()):
                conds.append(self._at_least(shape, x, n.toPython(), self.shape(q), v))
            for n in params.get(SH.qualifiedMaxCount, ()):
                conds.append(self._at_most(shape, x, n.toPython(), self.shape(q), v))
        return _and(conds)

    @staticmethod
    def _all_values(pattern, w, cond) -> str:
        if cond == "true":
            return "true"
        return f"NOT EXISTS {{ {pattern} FILTER(!({cond})) }}"

    def _distinct_values(self, shape, x, k, v, qshape, which: str):
        ws = [v() for _ in range(k)]
        pats = " ".join(self.pattern(shape, x, w, v) for w in ws)
        filters = [f"!sameTerm({a}, {b})" for i, a in enumerate(ws) for b in ws[i + 1:]]
        if qshape is not None:
            for w in ws:
                c = self.conforms(qshape, w, v)
                filters.append(getattr(c, which))
        filt = f"FILTER({' && '.join(f'({f})' for f in filters)})" if filters else ""
        return f"{{ {pats} {filt} }}"

    def _at_least(self, shape, x, n: int, qshape, v: _Vars) -> Cond:
        if n <= 0:
            return TRUE
        if n > 3:
            return UNKNOWN
        under = f"EXISTS {self._distinct_values(shape, x, n, v, qshape, 'under')}"
        over = f"EXISTS {self._distinct_values(shape, x, n, v, qshape, 'over')}"
        return Cond(under, over)

    def _at_most(self, shape, x, n: int, qshape, v: _Vars) -> Cond:
        if n > 2:
            return UNKNOWN
        # more than n values that may conform => not surely fine; that surely conform => fails
        under = f"NOT EXISTS {self._distinct_values(shape, x, n + 1, v, qshape, 'over')}"
        over = f"NOT EXISTS {self._distinct_values(shape, x, n + 1, v, qshape, 'under')}"
        return Cond(under, over)


# --------------------------------------------------------------------------------------------
# Report queries


@dataclass
class _Job:
    kind: str  # "node", "values", "count", "sparql"
    shape: object  # pyshacl Shape whose results the rows are
    query: str
    has_value: bool = False  # rows carry ?v
    direct: bool = True  # definite rows may become violations without pyshacl
    sparql: object = None  # for kind "sparql": (constraint node, messages)
    label: str = ""


def _focus_union(compiler: Compiler, shape, var: str) -> str:
    nodes, classes, implicit, objects_of, subjects_of = shape.target()
    parts = []
    for t in nodes:
        parts.append(f"VALUES {var} {{ {_sparql_term(t)} }}")
    for c in list(classes) + list(implicit):
        parts.append(f"{var} {_TYPE}/{_SUBCLASS}* {_sparql_term(c)} .")
    for p in subjects_of:
        parts.append(f"{var} {_sparql_term(p)} [] .")
    for p in objects_of:
        parts.append(f"[] {_sparql_term(p)} {var} .")
    return " UNION ".join("{ " + p + " }" for p in parts)


def _focus_check(compiler: Compiler, shape, var: str) -> str:
    nodes, classes, implicit, objects_of, subjects_of = shape.target()
    parts = [f"sameTerm({var}, {_sparql_term(t)})" for t in nodes]
    parts += [f"EXISTS {{ {var} {_TYPE}/{_SUBCLASS}* {_sparql_term(c)} }}" for c in list(classes) + list(implicit)]
    parts += [f"EXISTS {{ {var} {_sparql_term(p)} [] }}" for p in subjects_of]
    parts += [f"EXISTS {{ [] {_sparql_term(p)} {var} }}" for p in objects_of]
    return " || ".join(parts) or "false"


def _filter_clause(ff: FocusFilter | None, var: str) -> str:
    if ff is None:
        return ""
    out = []
    if ff.prefix is not None:
        out.append(f"FILTER(isIRI({var}) && STRSTARTS(STR({var}), {_string(ff.prefix)}))")
    if ff.graph is not None:
        out.append(f"FILTER EXISTS {{ GRAPH <{ff.graph}> {{ {var} ?_ffp ?_ffo }} }}")
    return " ".join(out)


def _focus_subquery(compiler, shape, ff, var="?this") -> str:
    return (f"{{ SELECT DISTINCT {var} WHERE {{ {_focus_union(compiler, shape, var)} "
            f"{_filter_clause(ff, var)} }} }}")


def _has_targets(shape) -> bool:
    return any(any(True for _ in t) for t in shape.target())


def build_jobs(compiler: Compiler, ff: FocusFilter | None) -> list[_Job]:
    jobs: list[_Job] = []
    g = compiler.g
    if any(True for _ in g.subjects(RDF.type, SH.ConstraintComponent)):
        raise UnsupportedShape("custom constraint components (sh:ConstraintComponent) are not supported")
    if any(True for _ in g.subjects(RDF.type, SH.SPARQLFunction)) or any(True for _ in g.subject_objects(SH.rule)):
        raise UnsupportedShape("SHACL-AF functions and rules are not supported")
    for shape in compiler.sg.shapes:
        compiler.check_supported(shape, nested=False)
    for shape in sorted(compiler.sg.shapes, key=lambda s: str(s.node)):
        if shape.deactivated or not _has_targets(shape):
            continue
        if shape.is_property_shape:
            jobs += _property_jobs(compiler, shape, shape, ff)
            continue
        params = compiler.params(shape)
        v = _Vars()
        conds = compiler.value_conds(shape, "?this", v)
        cond = _and(conds)
        if cond != TRUE:
            q = (f"SELECT DISTINCT ?this (({cond.over}) AS ?maybe) WHERE {{ "
                 f"{_focus_subquery(compiler, shape, ff)} FILTER(!({cond.under})) }}")
            jobs.append(_Job("node", shape, q, label=f"{compiler._name(shape.node)} (node)"))
        for hv in params.get(SH.hasValue, ()):
            c = compiler._same("?this", hv)
            q = (f"SELECT DISTINCT ?this (({c.over}) AS ?maybe) WHERE {{ "
                 f"{_focus_subquery(compiler, shape, ff)} FILTER(!({c.under})) }}")
            jobs.append(_Job("count", shape, q, label=f"{compiler._name(shape.node)} sh:hasValue"))
        for ps in params.get(SH.property, ()):
            prop = compiler.shape(ps)
            compiler.check_supported(prop, nested=False)
            if prop.deactivated:
                continue
            jobs += _property_jobs(compiler, prop, shape, ff)
        for constraint in params.get(SH.sparql, ()):
            job = _sparql_job(compiler, shape, constraint, ff)
            if job is not None:
                jobs.append(job)
    return jobs


def _property_jobs(compiler: Compiler, prop, parent, ff) -> list[_Job]:
    """Queries for the results of property shape `prop` on the focus nodes of `parent`."""
    jobs = []
    params = compiler.params(prop)
    name = compiler._name(prop.node)
    if SH.property in params:
        raise UnsupportedShape(f"{name}: sh:property on a property shape is not supported")
    v = _Vars()

    def pat(y: str) -> str:
        return compiler.pattern(prop, "?this", y, v)

    cond = _and(compiler.value_conds(prop, "?v", v))
    nodes, classes, implicit, objects_of, subjects_of = parent.target()
    simple = isinstance(prop.path(), URIRef)
    implied = simple and any(p == prop.path() for p in subjects_of)
    fclause = _filter_clause(ff, "?this")
    if cond != TRUE:
        if implied:
            where = f"{pat('?v')} FILTER(!({cond.under})) {fclause}"
        elif simple:
            where = (f"{pat('?v')} FILTER(!({cond.under}) && ({_focus_check(compiler, parent, '?this')})) "
                     f"{fclause}")
        else:
            where = f"{_focus_subquery(compiler, parent, ff)} {pat('?v')} FILTER(!({cond.under}))"
        q = f"SELECT DISTINCT ?this ?v (({cond.over}) AS ?maybe) WHERE {{ {where} }}"
        jobs.append(_Job("values", prop, q, has_value=True, label=f"{name} (values)"))
    focus = _focus_subquery(compiler, parent, ff)
    check = _focus_check(compiler, parent, "?this")
    for n in params.get(SH.minCount, ()):
        n = n.toPython()
        if n <= 0:
            continue
        if n == 1:
            q = f"SELECT ?this (false AS ?maybe) WHERE {{ {focus} FILTER NOT EXISTS {{ {pat('?_w')} }} }}"
        else:
            q = (f"SELECT ?this (false AS ?maybe) WHERE {{ {focus} OPTIONAL {{ {pat('?_w')} }} }} "
                 f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_w) < {n})")
        jobs.append(_Job("count", prop, q, label=f"{name} sh:minCount"))
    for n in params.get(SH.maxCount, ()):
        n = n.toPython()
        q = (f"SELECT ?this (false AS ?maybe) WHERE {{ {{ SELECT ?this WHERE {{ {pat('?_w')} }} "
             f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_w) > {n}) }} FILTER({check}) {fclause} }}")
        jobs.append(_Job("count", prop, q, label=f"{name} sh:maxCount"))
    if any(u.toPython() is True for u in params.get(SH.uniqueLang, ())):
        q = (f"SELECT ?this (false AS ?maybe) WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ "
             f"{{ SELECT ?this ?_l (COUNT(DISTINCT ?_w) AS ?_n) WHERE {{ {pat('?_w')} "
             f"BIND(LCASE(LANG(?_w)) AS ?_l) FILTER(?_l != \"\") }} GROUP BY ?this ?_l }} FILTER(?_n > 1) }} }} "
             f"FILTER({check}) {fclause} }}")
        jobs.append(_Job("count", prop, q, label=f"{name} sh:uniqueLang"))
    for hv in params.get(SH.hasValue, ()):
        maybe = "true" if isinstance(hv, Literal) else "false"
        q = (f"SELECT ?this ({maybe} AS ?maybe) WHERE {{ {focus} FILTER NOT EXISTS {{ {pat('?_w')} "
             f"FILTER(sameTerm(?_w, {_sparql_term(hv)})) }} }}")
        jobs.append(_Job("count", prop, q, label=f"{name} sh:hasValue"))
    for qs in params.get(SH.qualifiedValueShape, ()):
        qshape = compiler.shape(qs)
        qc = compiler.conforms(qshape, "?_w", v)
        for n in params.get(SH.qualifiedMinCount, ()):
            n = n.toPython()
            if n <= 0:
                continue
            if n == 1:
                q = (f"SELECT ?this (EXISTS {{ {pat('?_w')} FILTER({qc.over}) }} AS ?maybe) WHERE {{ {focus} "
                     f"FILTER NOT EXISTS {{ {pat('?_w')} FILTER({qc.under}) }} }}")
            else:
                q = (f"SELECT ?this (?_hi >= {n} AS ?maybe) WHERE {{ {{ SELECT ?this "
                     f"(SUM(IF(BOUND(?_w) && ({qc.under}), 1, 0)) AS ?_lo) "
                     f"(SUM(IF(BOUND(?_w) && ({qc.over}), 1, 0)) AS ?_hi) WHERE {{ {focus} "
                     f"OPTIONAL {{ SELECT DISTINCT ?this ?_w WHERE {{ {pat('?_w')} }} }} }} GROUP BY ?this }} "
                     f"FILTER(?_lo < {n}) }}")
            jobs.append(_Job("count", prop, q, label=f"{name} sh:qualifiedMinCount"))
        for n in params.get(SH.qualifiedMaxCount, ()):
            n = n.toPython()
            q = (f"SELECT ?this (?_lo <= {n} AS ?maybe) WHERE {{ {{ SELECT ?this "
                 f"(SUM(IF({qc.under}, 1, 0)) AS ?_lo) (SUM(IF({qc.over}, 1, 0)) AS ?_hi) WHERE {{ "
                 f"{{ SELECT DISTINCT ?this ?_w WHERE {{ {pat('?_w')} }} }} }} GROUP BY ?this }} "
                 f"FILTER(?_hi > {n} && ({check})) {fclause} }}")
            jobs.append(_Job("count", prop, q, label=f"{name} sh:qualifiedMaxCount"))
    return jobs


def _sparql_job(compiler: Compiler, shape, constraint, ff) -> _Job | None:
    g = compiler.g
    name = compiler._name(shape.node)
    if (constraint, SH.deactivated, Literal(True)) in g:
        return None
    select = g.value(constraint, SH.select)
    if select is None:
        raise UnsupportedShape(f"{name}: sh:sparql without sh:select (ASK validators) is not supported")
    text = str(select)
    if len(_WHERE.findall(text)) != 1 or "$PATH" in text or re.search(r"\?this\b", text):
        raise UnsupportedShape(f"{name}: SPARQL constraint {constraint} uses sub-selects, $PATH or ?this")
    body = _prefix_block(g, constraint) + "\n" + text.replace("$this", "?this")
    focus = _focus_subquery(compiler, shape, ff)
    query = _WHERE.sub(lambda m: m.group(0) + " " + focus + " ", body, count=1)
    messages = list(g.objects(constraint, SH.message)) + list(shape.message)
    return _Job("sparql", shape, query, sparql=(constraint, messages), label=f"{name} {_n3(constraint, compiler.nsg)}")


# --------------------------------------------------------------------------------------------
# An rdflib view of the store, for pyshacl's re-checks of undecided focus nodes


class _OxigraphView(Memory):
    """rdflib store answering triple patterns from the union of an Oxigraph store's graphs."""

    def __init__(self, store: ox.Store):
        super().__init__()
        self._ox = store
        self._cache: dict = {}

    def triples(self, triple_pattern, context=None):
        s, p, o = triple_pattern
        key = (s, p, o)
        found = self._cache.get(key)
        if found is None:
            try:
                args = [None if t is None else to_oxigraph(t) for t in (s, p, o)]
                if isinstance(s, Literal) or isinstance(p, (Literal, BNode)):
                    found = []
                else:
                    found = list({(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                                  for q in self._ox.quads_for_pattern(*args)})
            except (TypeError, ValueError):
                found = []
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[key] = found
        for t in found:
            yield t, iter(())

    def __len__(self, context=None):
        return sum(1 for _ in self._ox.quads_for_pattern(None, None, None))


def _view_graph(store: ox.Store, nsg: Graph) -> Graph:
    g = Graph(store=_OxigraphView(store))
    for prefix, ns in nsg.namespaces():
        g.bind(prefix, ns, override=True, replace=True)
    return g


# --------------------------------------------------------------------------------------------
# Running


def _namespaces(namespaces) -> Graph:
    if isinstance(namespaces, Graph):
        return namespaces
    g = Graph()
    prefixes = all_prefixes(DEFAULT_BASE) if namespaces is None else namespaces
    for prefix, ns in prefixes.items():
        g.bind(prefix, ns, override=True)
    return g


def _severity(term, nsg: Graph) -> str:
    return _n3(term, nsg).split("#")[-1].rstrip(">")


@dataclass
class _Context:
    compiler: Compiler
    nsg: Graph
    origins: dict | None
    out: set = field(default_factory=set)
    recheck: dict = field(default_factory=lambda: defaultdict(set))

    def path_text(self, shape) -> str:
        if not shape.is_property_shape:
            return ""
        p = shape.path()
        if isinstance(p, URIRef):
            return _n3(p, self.nsg)
        return "_:" + _path_text(self.compiler.g, p, self.nsg)

    def shape_text(self, shape) -> str:
        node = shape.node
        return _n3(node, self.nsg) if isinstance(node, URIRef) else f"_:{node}"

    def add(self, shape, focus, value, message_terms, path_text=None):
        msgs = sorted({str(m) for m in message_terms})
        self.out.add(Violation(
            focus=_n3(focus, self.nsg), path=self.path_text(shape) if path_text is None else path_text,
            message="; ".join(msgs) or "constraint violated", value=_n3(value, self.nsg),
            shape=self.shape_text(shape), severity=_severity(shape.severity, self.nsg),
            files=_files(self.origins, focus)))


def _run_job(store: ox.Store, job: _Job) -> list[tuple]:
    rows = []
    for sol in store.query(job.query, use_default_graph_as_union=True):
        maybe = sol["maybe"]
        rows.append((sol["this"], sol["v"] if job.has_value else None,
                     maybe is None or maybe.value != "false"))
    return rows


def _sparql_rows(store: ox.Store, job: _Job) -> list[dict]:
    results = store.query(job.query, use_default_graph_as_union=True)
    variables = [v.value for v in results.variables]
    return [{name: sol[name] for name in variables if sol[name] is not None} for sol in results]


def _handle(ctx: _Context, job: _Job, rows) -> None:
    if job.kind == "sparql":
        constraint, messages = job.sparql
        findings = sparql_findings(({k: to_rdflib(v) for k, v in raw.items()} for raw in rows),
                                   messages)
        for this, path, value, message in findings:
            ctx.out.add(Violation(
                focus=_n3(this, ctx.nsg), path=_n3(path, ctx.nsg), message=message,
                value=_n3(value, ctx.nsg), shape=ctx.shape_text(job.shape),
                severity=_severity(job.shape.severity, ctx.nsg), files=_files(ctx.origins, this)))
        return
    messages = list(job.shape.message)
    for this, value, maybe in rows:
        focus = to_rdflib(this)
        if maybe or not messages:
            ctx.recheck[job.shape.node].add(focus)
            continue
        if job.kind == "node":
            ctx.add(job.shape, focus, focus, messages)
        elif job.kind == "values":
            ctx.add(job.shape, focus, to_rdflib(value), messages)
        else:
            ctx.add(job.shape, focus, None, messages)


def _recheck(ctx: _Context, store: ox.Store) -> None:
    """Let pyshacl decide the undecided focus nodes, shape by shape, on a view of the store."""
    if not ctx.recheck:
        return
    from pyshacl.pytypes import SHACLExecutor

    view = _view_graph(store, ctx.nsg)
    executor = SHACLExecutor(advanced_mode=True, abort_on_first=False, allow_infos=False,
                             allow_warnings=False, iterate_rules=False, sparql_mode=False,
                             max_validation_depth=15, focus_nodes=None, debug=False)
    for node, focus in sorted(ctx.recheck.items(), key=lambda kv: str(kv[0])):
        shape = ctx.compiler.sg.lookup_shape_from_node(node)
        _, reports = shape.validate(executor, view, focus=sorted(focus, key=str))
        for _, r_node, triples in reports:
            fields: dict = defaultdict(list)
            for s, p, o in triples:
                if s == r_node:
                    fields[p].append(o[1] if isinstance(o, tuple) else o)
            f = fields.get(SH.focusNode, [None])[0]
            src = fields.get(SH.sourceShape, [None])[0]
            src_shape = ctx.compiler.sg.lookup_shape_from_node(src)
            path = fields.get(SH.resultPath, [None])[0]
            if path is None:
                ptext = ""
            elif isinstance(path, URIRef):
                ptext = _n3(path, ctx.nsg)
            else:
                ptext = "_:" + _path_text(ctx.compiler.g, path, ctx.nsg)
            value = fields.get(SH.value, [None])[0]
            msgs = fields.get(SH.resultMessage, [])
            sev = fields.get(SH.resultSeverity, [SH.Violation])[0]
            ctx.out.add(Violation(
                focus=_n3(f, ctx.nsg), path=ptext,
                message="; ".join(sorted({str(m) for m in msgs})) or "constraint violated",
                value=_n3(value, ctx.nsg), shape=ctx.shape_text(src_shape),
                severity=_severity(sev, ctx.nsg), files=_files(ctx.origins, f)))


def compile_shapes(shapes: Graph, focus_filter: FocusFilter | None = None, namespaces=None,
                   ontology: Graph | None = None):
    """The compiled queries (for inspection and tests): a list of (label, kind, SPARQL)."""
    from pyshacl.shapes_graph import ShapesGraph

    nsg = _namespaces(namespaces)
    sg = ShapesGraph(_copy(shapes))
    store = ox.Store()
    if ontology is not None:
        store.extend(ontology_quads(ontology))
    compiler = Compiler(sg, nsg, subclass_pairs(store))
    return [(j.label, j.kind, j.query) for j in build_jobs(compiler, focus_filter)]


def subclass_pairs(store: ox.Store) -> list[tuple[str, str]]:
    """The transitive closure of rdfs:subClassOf in the union graph, without reflexive pairs."""
    q = (f"SELECT DISTINCT ?a ?b WHERE {{ ?a {_SUBCLASS}+ ?b FILTER(!sameTerm(?a, ?b) "
         f"&& !isLiteral(?a) && !isLiteral(?b)) }}")
    return [(str(r["a"]), str(r["b"])) for r in store.query(q, use_default_graph_as_union=True)]


def _copy(g: Graph) -> Graph:
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns, override=True)
    for t in g:
        out.add(t)
    return out


def validate_store(store: ox.Store, shapes: Graph, ontology: Graph, focus_filter: FocusFilter | None = None,
                   namespaces=None, origins=None, threads: int | None = None,
                   keep_ontology: bool = False, timings: list | None = None,
                   compiled: dict | None = None) -> list[Violation]:
    """Validate the union graph of `store` against `shapes`; the sorted violations.

    namespaces: an rdflib Graph whose bindings write the n3 terms (pass the data graph to
    compare with run_shacl), or a prefix -> namespace dict; by default the project's prefixes
    at the default base. origins: focus IRI -> data files, as for run_shacl. threads: how many
    queries run at once (default: the number of CPUs). timings: if a list, gets one
    (label, seconds, rows) per query. compiled: a dict kept by a caller that validates many
    stores with the same shapes (the register slices): the shapes are compiled into queries
    once per subclass hierarchy instead of once per store.
    """
    import time

    from pyshacl.shapes_graph import ShapesGraph

    added = _ensure_ontology(store, ontology)
    try:
        pairs = subclass_pairs(store)
        key = (id(shapes), focus_filter, tuple(sorted(pairs)))
        if compiled is not None and key in compiled:
            compiler, jobs, nsg = compiled[key]
        else:
            nsg = _namespaces(namespaces)
            compiler = Compiler(ShapesGraph(_copy(shapes)), nsg, pairs)
            jobs = build_jobs(compiler, focus_filter)
            if compiled is not None:
                compiled.clear()  # one hierarchy at a time: the slices of a build share one
                compiled[key] = (compiler, jobs, nsg)
        ctx = _Context(compiler, nsg, origins)
        def run(job):
            t = time.perf_counter()
            rows = _sparql_rows(store, job) if job.kind == "sparql" else _run_job(store, job)
            return job, rows, time.perf_counter() - t

        workers = max(1, threads or os.cpu_count() or 1)
        if workers == 1:
            results: Iterator = map(run, jobs)
        else:
            pool = ThreadPoolExecutor(max_workers=workers)
            results = pool.map(run, jobs)
        try:
            for job, rows, seconds in results:
                if timings is not None:
                    timings.append((job.label, seconds, len(rows)))
                _handle(ctx, job, rows)
        finally:
            if workers > 1:
                pool.shutdown(wait=True)
        _recheck(ctx, store)
    finally:
        if added and not keep_ontology:
            store.remove_graph(ox.NamedNode(ONTOLOGY_GRAPH))
    return sorted(ctx.out)


def _ensure_ontology(store: ox.Store, ontology: Graph) -> bool:
    graph = ox.NamedNode(ONTOLOGY_GRAPH)
    if store.contains_named_graph(graph):
        return False
    quads = ontology_quads(ontology)
    try:
        store.extend(quads)
    except (OSError, RuntimeError) as e:  # pyoxigraph 0.5: RuntimeError on a read-only store
        raise ValueError(
            f"the store has no graph <{ONTOLOGY_GRAPH}> and cannot be written ({e}); "
            "load siberia_kg.shacl_sparql.ontology_quads(ontology) into it first") from e
    return True
